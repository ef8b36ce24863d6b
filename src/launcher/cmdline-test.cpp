// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "build-config.h"
#include "launcher/cmdline.h"
#include "server/server-conf.h"

using namespace fileserver;
using nlohmann::json;

namespace {

// An argv that getopt may permute: owns its strings, NULL-terminated.
class Argv
{
public:
	explicit Argv(const std::vector<std::string> &args) : strings_(args)
	{
		strings_.insert(strings_.begin(), "fileserverd");
		for (auto &s : strings_)
			ptrs_.push_back(s.data());
		ptrs_.push_back(nullptr);
	}
	int argc() const { return static_cast<int>(strings_.size()); }
	char **argv() { return ptrs_.data(); }

private:
	std::vector<std::string> strings_;
	std::vector<char *> ptrs_;
};

DaemonOptions parse(const std::vector<std::string> &args)
{
	Argv a(args);
	return parse_daemon_cmdline(a.argc(), a.argv());
}

// The UsageError message for @args; fails the test if nothing or something
// else is thrown.
std::string usage_error(const std::vector<std::string> &args)
{
	try {
		parse(args);
	} catch (const UsageError &e) {
		return e.what();
	} catch (const std::exception &e) {
		FAIL("expected UsageError, got: " << e.what());
		return {};
	}
	FAIL("expected UsageError, nothing was thrown");
	return {};
}

bool contains(const std::string &haystack, std::string_view needle)
{
	return haystack.find(needle) != std::string::npos;
}

void check_defaults_except(const DaemonOptions &o, std::string_view changed)
{
	if (changed != "config") {
		CHECK(o.config_path == FILESERVER_CONFIG_FILE);
		CHECK_FALSE(o.config_path_given);
	}
	if (changed != "overrides")
		CHECK(o.overrides == json::object());
	if (changed != "check_config")
		CHECK_FALSE(o.check_config);
	if (changed != "help")
		CHECK_FALSE(o.show_help);
	if (changed != "version")
		CHECK_FALSE(o.show_version);
}

} // namespace

TEST_SUITE_BEGIN("cmdline");

TEST_CASE("no options: defaults")
{
	DaemonOptions o = parse({});
	check_defaults_except(o, "");
	CHECK(o.overrides.is_object());
	CHECK(o.overrides.empty());
}

TEST_CASE("string options set their override key")
{
	struct Case {
		std::vector<std::string> forms; // option spellings taking a separate argument
		std::string joined;             // the same with the argument attached
		std::string key;
		std::string value;
	};
	const Case cases[] = {
	        {{"--root", "-r"}, "--root=/srv/files", "root", "/srv/files"},
	        {{"--queue", "-q"}, "--queue=/fs-other", "queue", "/fs-other"},
	        {{"--log-level", "-l"}, "--log-level=debug", "log_level", "debug"},
	};
	for (const auto &c : cases) {
		for (const auto &form : c.forms) {
			CAPTURE(form);
			DaemonOptions o = parse({form, c.value});
			CHECK(o.overrides == json{{c.key, c.value}});
			check_defaults_except(o, "overrides");
			// Short form with the argument attached: -r/srv/files.
			if (form.size() == 2) {
				DaemonOptions j = parse({form + c.value});
				CHECK(j.overrides == json{{c.key, c.value}});
			}
		}
		CAPTURE(c.joined);
		DaemonOptions o = parse({c.joined});
		CHECK(o.overrides == json{{c.key, c.value}});
	}
}

TEST_CASE("--workers and -w set a number that the configuration accepts")
{
	const std::vector<std::vector<std::string>> forms = {
	        {"--workers", "8"}, {"-w", "8"}, {"-w8"}, {"--workers=8"}};
	for (const auto &args : forms) {
		DaemonOptions o = parse(args);
		REQUIRE(o.overrides.contains("workers"));
		CHECK(o.overrides.size() == 1);
		CHECK(o.overrides["workers"].is_number_unsigned());
		CHECK(o.overrides["workers"].get<unsigned>() == 8);
		check_defaults_except(o, "overrides");
		CHECK(make_config(nullptr, o.overrides).workers == 8);
	}
	// Range checks belong to the configuration, not to the parser.
	CHECK(parse({"-w", "0"}).overrides["workers"] == 0);
	CHECK(parse({"-w", "100000"}).overrides["workers"] == 100000);
}

TEST_CASE("--config and -c set the path and mark it as given")
{
	const std::vector<std::vector<std::string>> forms = {{"--config", "/tmp/x.json"},
	                                                     {"-c", "/tmp/x.json"},
	                                                     {"-c/tmp/x.json"},
	                                                     {"--config=/tmp/x.json"}};
	for (const auto &args : forms) {
		DaemonOptions o = parse(args);
		CHECK(o.config_path == "/tmp/x.json");
		CHECK(o.config_path_given);
		check_defaults_except(o, "config");
	}
}

TEST_CASE("flags")
{
	SUBCASE("--check-config")
	{
		DaemonOptions o = parse({"--check-config"});
		CHECK(o.check_config);
		check_defaults_except(o, "check_config");
	}
	SUBCASE("--help")
	{
		DaemonOptions o = parse({"--help"});
		CHECK(o.show_help);
		check_defaults_except(o, "help");
	}
	SUBCASE("-h")
	{
		DaemonOptions o = parse({"-h"});
		CHECK(o.show_help);
		check_defaults_except(o, "help");
	}
	SUBCASE("--version")
	{
		DaemonOptions o = parse({"--version"});
		CHECK(o.show_version);
		check_defaults_except(o, "version");
	}
	SUBCASE("-V")
	{
		DaemonOptions o = parse({"-V"});
		CHECK(o.show_version);
		check_defaults_except(o, "version");
	}
	SUBCASE("grouped -hV")
	{
		DaemonOptions o = parse({"-hV"});
		CHECK(o.show_help);
		CHECK(o.show_version);
	}
}

TEST_CASE("everything at once; the last of a repeated option wins")
{
	DaemonOptions o = parse({"-c", "/etc/fs.json", "--root", "/a", "-q", "/q1", "-w", "2", "--log-level",
	                         "warning", "--check-config", "-r", "/b"});
	CHECK(o.config_path == "/etc/fs.json");
	CHECK(o.config_path_given);
	CHECK(o.check_config);
	CHECK(o.overrides ==
	      json{{"root", "/b"}, {"queue", "/q1"}, {"workers", 2u}, {"log_level", "warning"}});
	Config c = make_config(nullptr, o.overrides);
	CHECK(c.root == "/b");
	CHECK(c.queue == "/q1");
	CHECK(c.workers == 2);
	CHECK(c.log_level == "warning");
}

TEST_CASE("unknown options are usage errors naming the option")
{
	CHECK(contains(usage_error({"--bogus"}), "--bogus"));
	CHECK(contains(usage_error({"-x"}), "-x"));
	CHECK(contains(usage_error({"-r", "/srv", "-Z"}), "-Z"));
	CHECK(contains(usage_error({"-hx"}), "-x"));
	// The unknown option is not the last of its group.
	CHECK(contains(usage_error({"-xh"}), "-x"));
	CHECK(contains(usage_error({"-V", "-xh"}), "-x"));
	// A flag given an argument.
	CHECK(contains(usage_error({"--help=yes"}), "--help"));
	CHECK(contains(usage_error({"--check-config=1"}), "--check-config"));
	// Ambiguous abbreviation: --config or --check-config.
	CHECK_FALSE(usage_error({"--c"}).empty());
	// The single-dash long form is not a long option.
	CHECK_FALSE(usage_error({"-root", "/srv"}).empty());
}

TEST_CASE("a missing argument is a usage error")
{
	for (const char *opt :
	     {"--root", "-r", "--queue", "-q", "--workers", "-w", "--log-level", "-l", "--config", "-c"}) {
		CAPTURE(opt);
		std::string msg = usage_error({opt});
		CHECK(contains(msg, opt));
		// After another option too.
		CHECK_FALSE(usage_error({"-V", opt}).empty());
	}
}

TEST_CASE("a non-numeric --workers is a usage error")
{
	for (const char *arg :
	     {"abc", "", "4x", "x4", "-1", "+4", " 4", "4 ", "4.0", "0x10", "99999999999999999999999999"}) {
		CAPTURE(arg);
		CHECK(contains(usage_error({"--workers", arg}), "--workers"));
		CHECK_FALSE(usage_error({std::string("--workers=") + arg}).empty());
		CHECK_FALSE(usage_error({"-w", arg}).empty());
	}
}

TEST_CASE("a stray operand is a usage error")
{
	CHECK(contains(usage_error({"extra"}), "extra"));
	CHECK(contains(usage_error({"-r", "/srv", "extra"}), "extra"));
	// getopt permutes operands to the end: still refused.
	CHECK(contains(usage_error({"extra", "-r", "/srv"}), "extra"));
	CHECK(contains(usage_error({"--", "extra"}), "extra"));
	CHECK(contains(usage_error({"-"}), "'-'"));
}

TEST_CASE("parsing twice in one process works")
{
	DaemonOptions a = parse({"-r", "/first", "-w", "3"});
	CHECK(a.overrides == json{{"root", "/first"}, {"workers", 3u}});

	DaemonOptions b = parse({"-q", "/second"});
	CHECK(b.overrides == json{{"queue", "/second"}});
	CHECK_FALSE(b.overrides.contains("root"));

	// After an error in the middle of an option group, too.
	CHECK_FALSE(usage_error({"-Vxh"}).empty());
	DaemonOptions c = parse({"-h"});
	CHECK(c.show_help);
	CHECK_FALSE(c.show_version);

	// After a stray operand, and after a missing argument.
	CHECK_FALSE(usage_error({"stray", "-V"}).empty());
	CHECK_FALSE(usage_error({"-r"}).empty());
	DaemonOptions d = parse({"--log-level", "error"});
	CHECK(d.overrides == json{{"log_level", "error"}});
	check_defaults_except(d, "overrides");

	// And the same command line twice gives the same result.
	DaemonOptions e1 = parse({"-c", "/x.json", "-V"});
	DaemonOptions e2 = parse({"-c", "/x.json", "-V"});
	CHECK(e1.config_path == e2.config_path);
	CHECK(e1.config_path_given == e2.config_path_given);
	CHECK(e1.show_version == e2.show_version);
	CHECK(e2.show_version);
}

TEST_CASE("the usage text mentions every option")
{
	std::string usage = kDaemonUsage;
	for (const char *opt : {"--config", "--root", "--queue", "--workers", "--log-level", "--check-config",
	                        "--help", "--version", "-c,", "-r,", "-q,", "-w,", "-l,", "-h,", "-V,"}) {
		CAPTURE(opt);
		CHECK(contains(usage, opt));
	}
}

TEST_SUITE_END();
