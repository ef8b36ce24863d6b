// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli/options.h"
#include "util/error.h"

using namespace fileserver;
using namespace fileserver::cli;

namespace {

// getopt permutes and keeps pointers into argv: give it writable copies.
Options parse(std::vector<std::string> args, const char *env_queue = nullptr)
{
	args.insert(args.begin(), "fileserverctl");
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	return parse_options(static_cast<int>(args.size()), argv.data(), env_queue);
}

} // namespace

TEST_CASE("options: commands, operands and defaults")
{
	Options o = parse({"get", "dir/file"});
	CHECK(o.command == "get");
	CHECK(o.path == "dir/file");
	CHECK(o.client.queue == "/fileserver");
	CHECK(o.client.timeout == std::chrono::milliseconds(10000));
	CHECK(o.get.output.empty());
	CHECK(o.get.offset == 0);
	CHECK(o.get.length == protocol::kToEnd);
	CHECK_FALSE(o.json);

	o = parse({"ls"});
	CHECK(o.command == "ls");
	CHECK(o.path.empty());
	CHECK(parse({"ping"}).command == "ping");
	CHECK(parse({"status"}).command == "status");
	CHECK(parse({"stat", "x"}).path == "x");
}

TEST_CASE("options: global and command options, in any order after the command")
{
	Options o = parse({"-q", "/other", "--timeout", "2.5", "get", "--offset", "10", "f", "-o", "out",
	                   "--length", "20", "--quiet"});
	CHECK(o.client.queue == "/other");
	CHECK(o.client.timeout == std::chrono::milliseconds(2500));
	CHECK(o.path == "f");
	CHECK(o.get.output == "out");
	CHECK(o.get.offset == 10);
	CHECK(o.get.length == 20);
	CHECK(o.get.quiet);
	CHECK(parse({"-j", "stat", "x"}).json);
	CHECK(parse({"stat", "x", "--json"}).json);
	CHECK(parse({"get", "x", "-o", "-"}).get.output == "-");
}

TEST_CASE("options: several paths, trees and --continue")
{
	Options o = parse({"get", "a", "-O", "dir", "b/c", "-r", "--continue", "-v"});
	CHECK(o.get.paths == std::vector<std::string>{"a", "b/c"});
	CHECK(o.path == "a");
	CHECK(o.get.output_dir == "dir");
	CHECK(o.get.recursive);
	CHECK(o.get.resume);
	CHECK(o.get.verbose);
	o = parse({"-v", "get", "--output-dir=d", "--recursive", "x"});
	CHECK(o.get.verbose);
	CHECK(o.get.output_dir == "d");
	CHECK(o.get.recursive);
	CHECK_FALSE(o.get.resume);
	o = parse({"get", "x", "-c", "-o", "f"});
	CHECK(o.get.resume);
	CHECK(o.get.output == "f");
	CHECK(o.get.paths == std::vector<std::string>{"x"});
	// --offset is a long option only: -O is the output directory.
	o = parse({"get", "x", "--offset", "5", "-o", "f"});
	CHECK(o.get.offset == 5);
	CHECK(o.get.output_dir.empty());
}

TEST_CASE("options: FILESERVER_QUEUE unless --queue")
{
	CHECK(parse({"ping"}, "/env").client.queue == "/env");
	CHECK(parse({"ping"}, "").client.queue == "/fileserver");
	CHECK(parse({"--queue", "/cli", "ping"}, "/env").client.queue == "/cli");
}

TEST_CASE("options: --help and --version stop parsing")
{
	CHECK(parse({"--help"}).help);
	CHECK(parse({"-h", "bogus", "--nonsense"}).help);
	CHECK(parse({"--version"}).version);
}

TEST_CASE("options: usage errors")
{
	const std::vector<std::vector<std::string>> cases = {
	        {},
	        {"--bogus", "ping"},
	        {"frobnicate"},
	        {"get"},
	        {"get", "a", "b"},
	        {"stat"},
	        {"ls", "a", "b"},
	        {"ping", "extra"},
	        {"status", "extra"},
	        {"--timeout", "0", "ping"},
	        {"--timeout", "abc", "ping"},
	        {"--timeout", "-1", "ping"},
	        {"--timeout", "86401", "ping"},
	        {"--timeout"},
	        {"--queue"},
	        {"--queue", "noslash", "ping"},
	        {"--queue", "/a/b", "ping"},
	        {"get", "x", "--offset", "-1"},
	        {"get", "x", "--length", "1x"},
	        {"get", "x", "--length", ""},
	        {"get", "x", "--offset", "99999999999999999999999"},
	        {"get", "x", "-o"},
	        {"get", "x", "-o", ""},
	        {"get", "x", "--bogus"},
	        {"stat", "x", "-o", "f"},
	        {"ls", "--offset", "3"},
	        {"ping", "--length", "1"},
	        {"get", "-r", "d"},
	        {"get", "a", "-o", "f", "-O", "d"},
	        {"get", "a", "-O", ""},
	        {"get", "a", "-O", "d", "--offset", "1"},
	        {"get", "a", "-o", "f", "--continue", "--length", "1"},
	        {"get", "a", "--continue"},
	        {"get", "a", "-o", "-", "--continue"},
	        {"get", "-O", "d"},
	        {"stat", "x", "-r"},
	        {"ls", "-O", "d"},
	        {"ls", "--continue"},
	};
	for (const auto &args : cases) {
		std::string joined;
		for (const auto &a : args)
			joined += a + " ";
		CAPTURE(joined);
		CHECK_THROWS_AS(parse(args), UsageError);
	}
}

TEST_CASE("options: a usage error names the option")
{
	try {
		parse({"get", "x", "--offset", "abc"});
		FAIL("no UsageError");
	} catch (const UsageError &e) {
		CHECK(std::string(e.what()).find("--offset") != std::string::npos);
	}
}
