// SPDX-License-Identifier: MIT
// The --daemonize options of fileserverd's command line.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "launcher/cmdline.h"

using namespace fileserver;

namespace {

DaemonOptions parse(std::vector<std::string> args)
{
	args.insert(args.begin(), "fileserverd");
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	return parse_daemon_cmdline(static_cast<int>(args.size()), argv.data());
}

std::string usage_error(std::vector<std::string> args)
{
	try {
		parse(std::move(args));
	} catch (const UsageError &e) {
		return e.what();
	}
	FAIL("expected UsageError");
	return {};
}

} // namespace

TEST_CASE("daemon options")
{
	DaemonOptions o = parse({"--daemonize", "--pidfile", "/run/f.pid", "--user", "nobody", "--group",
	                         "nogroup", "--umask", "027", "--chroot", "/srv", "--startup-timeout", "5"});
	CHECK(o.daemonize);
	CHECK(o.pidfile == "/run/f.pid");
	CHECK(o.user == "nobody");
	CHECK(o.group == "nogroup");
	CHECK(o.umask == 027);
	CHECK(o.chroot_dir == "/srv");
	CHECK(o.startup_timeout_sec == 5);
	CHECK_FALSE(o.reexec);

	DaemonOptions d = parse({"-d"});
	CHECK(d.daemonize);
	CHECK(d.umask == 0);
	CHECK(d.pidfile.empty());
	CHECK(d.startup_timeout_sec == 60);
	CHECK(parse({"-d", "--umask", "0"}).umask == 0);
	CHECK(parse({"-d", "--umask", "0777"}).umask == 0777);
	CHECK(parse({"-d", "--internal-reexec"}).reexec);
	CHECK_FALSE(parse({}).daemonize);
}

TEST_CASE("daemon options need --daemonize, --group needs --user")
{
	CHECK(usage_error({"--pidfile", "/x"}) == "--pidfile needs --daemonize");
	CHECK(usage_error({"--user", "nobody"}) == "--user needs --daemonize");
	CHECK(usage_error({"--umask", "022"}) == "--umask needs --daemonize");
	CHECK(usage_error({"--chroot", "/srv"}) == "--chroot needs --daemonize");
	CHECK(usage_error({"--startup-timeout", "3"}) == "--startup-timeout needs --daemonize");
	CHECK(usage_error({"--internal-reexec"}) == "--internal-reexec needs --daemonize");
	CHECK(usage_error({"-d", "--group", "nogroup"}) == "--group needs --user");
}

TEST_CASE("invalid daemon option values")
{
	CHECK(usage_error({"-d", "--umask", "999"}).find("not an octal number") != std::string::npos);
	CHECK(usage_error({"-d", "--umask", "1000"}).find("not a mode") != std::string::npos);
	CHECK(usage_error({"-d", "--umask", ""}).find("--umask") != std::string::npos);
	CHECK(usage_error({"-d", "--startup-timeout", "0"}).find("out of range") != std::string::npos);
	CHECK(usage_error({"-d", "--startup-timeout", "3601"}).find("out of range") != std::string::npos);
	CHECK(usage_error({"-d", "--pidfile", ""}).find("empty") != std::string::npos);
	CHECK(usage_error({"-d", "--user", ""}).find("empty") != std::string::npos);
	CHECK(usage_error({"-d", "--pidfile"}).find("needs an argument") != std::string::npos);
}

TEST_CASE("daemon_cmdline_args parses back to the same options")
{
	std::vector<std::vector<std::string>> lines = {
	        {},
	        {"-d"},
	        {"-c", "/etc/f.json", "-r", "/srv", "-q", "/q", "-w", "8", "-l", "debug"},
	        {"-d", "--pidfile", "/run/f.pid", "--user", "nobody", "--group", "nogroup", "--umask", "022",
	         "--chroot", "/jail", "--startup-timeout", "7", "--internal-reexec"},
	        {"--check-config", "--root", "-odd-but-valid"},
	};
	for (const auto &line : lines) {
		DaemonOptions a = parse(line);
		DaemonOptions b = parse(daemon_cmdline_args(a));
		CAPTURE(line.size());
		CHECK(b.config_path == a.config_path);
		CHECK(b.config_path_given == a.config_path_given);
		CHECK(b.overrides == a.overrides);
		CHECK(b.check_config == a.check_config);
		CHECK(b.daemonize == a.daemonize);
		CHECK(b.pidfile == a.pidfile);
		CHECK(b.user == a.user);
		CHECK(b.group == a.group);
		CHECK(b.umask == a.umask);
		CHECK(b.chroot_dir == a.chroot_dir);
		CHECK(b.startup_timeout_sec == a.startup_timeout_sec);
		CHECK(b.reexec == a.reexec);
	}
}

TEST_CASE("--help names the daemon options")
{
	std::string help = kDaemonUsage;
	for (const char *opt : {"--daemonize", "--pidfile FILE", "--user USER", "--group GROUP",
	                        "--umask MODE", "--chroot DIR"})
		CHECK(help.find(opt) != std::string::npos);
	CHECK(help.find("internal") == std::string::npos);
}
