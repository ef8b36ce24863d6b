// SPDX-License-Identifier: MIT
#include "cli/options.h"

#include <getopt.h>

#include <charconv>
#include <cstdlib>

#include "util/error.h"
#include "util/mqueue.h"

namespace fileserver::cli {

const char *const kUsage =
        "Usage: fileserverctl [OPTION]... COMMAND [ARG]...\n"
        "Fetch files from a fileserverd server over POSIX message queues.\n"
        "\n"
        "Commands:\n"
        "  get PATH [-o FILE] [--offset N] [--length N]\n"
        "                      write the file (or a byte range of it) to stdout or FILE;\n"
        "                      a regular FILE is replaced atomically, never left partial;\n"
        "                      a device or FIFO is written in place; '-o -' is stdout;\n"
        "                      shows a progress bar on a terminal (not with --quiet)\n"
        "  stat PATH           show a file's size, type, mode, owner and mtime\n"
        "  ls [DIR]            list a directory (default: the served root)\n"
        "  ping                check that the server answers; show its version\n"
        "  status              show the server's live statistics\n"
        "\n"
        "Options:\n"
        "  -q, --queue NAME     server queue (default $FILESERVER_QUEUE or /fileserver)\n"
        "  -t, --timeout SECS   wait at most this long for the server (default 10)\n"
        "  -j, --json           print stat, ls, ping and status results as JSON\n"
        "      --quiet          no progress bar for get\n"
        "  -h, --help           show this help and exit\n"
        "  -V, --version        show the version and exit\n"
        "\n"
        "Exit status: 0 success, 1 other failure, 2 usage error, 3 not found,\n"
        "4 refused, 5 server unreachable or timed out, 6 protocol error, 7 server busy.\n";

namespace {

std::uint64_t parse_u64(const std::string &opt, const char *arg)
{
	std::uint64_t v = 0;
	const char *end = arg + std::char_traits<char>::length(arg);
	auto [ptr, ec] = std::from_chars(arg, end, v);
	if (ec != std::errc() || ptr != end || arg == end)
		throw UsageError(opt + ": not a non-negative integer: '" + arg + "'");
	return v;
}

std::chrono::milliseconds parse_timeout(const char *arg)
{
	char *end = nullptr;
	double v = std::strtod(arg, &end);
	if (!end || *end != '\0' || end == arg || !(v >= 0.001) || v > 86400)
		throw UsageError(std::string("--timeout: expected seconds (0.001 to 86400), got '") + arg +
		                 "'");
	return std::chrono::milliseconds(static_cast<long>(v * 1000));
}

[[noreturn]] void bad_option(int c, char **argv)
{
	if (c == ':')
		throw UsageError(std::string("option '") + argv[optind - 1] + "' needs an argument");
	throw UsageError(std::string("unknown option '") + argv[optind - 1] + "'");
}

// The global options, up to the command.
void parse_global(int argc, char **argv, Options &o)
{
	static const struct option opts[] = {
	        {"queue", required_argument, nullptr, 'q'},
	        {"timeout", required_argument, nullptr, 't'},
	        {"json", no_argument, nullptr, 'j'},
	        {"quiet", no_argument, nullptr, 'Q'},
	        {"help", no_argument, nullptr, 'h'},
	        {"version", no_argument, nullptr, 'V'},
	        {nullptr, 0, nullptr, 0},
	};
	int c;
	// '+': stop at the command; its own options follow it.
	while ((c = getopt_long(argc, argv, "+:q:t:jhV", opts, nullptr)) != -1) {
		switch (c) {
		case 'q': o.client.queue = optarg; break;
		case 't': o.client.timeout = parse_timeout(optarg); break;
		case 'j': o.json = true; break;
		case 'Q': o.get.quiet = true; break;
		case 'h': o.help = true; return;
		case 'V': o.version = true; return;
		default: bad_option(c, argv);
		}
	}
}

// The command's own options and operands, in any order.
std::vector<std::string> parse_command(int argc, char **argv, Options &o)
{
	static const struct option opts[] = {
	        {"output", required_argument, nullptr, 'o'}, {"offset", required_argument, nullptr, 'O'},
	        {"length", required_argument, nullptr, 'L'}, {"json", no_argument, nullptr, 'j'},
	        {"quiet", no_argument, nullptr, 'Q'},        {nullptr, 0, nullptr, 0},
	};
	bool has_get_options = false;
	optind = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":o:j", opts, nullptr)) != -1) {
		switch (c) {
		case 'o':
			o.get.output = optarg;
			if (o.get.output.empty())
				throw UsageError("-o: empty file name");
			has_get_options = true;
			break;
		case 'O':
			o.get.offset = parse_u64("--offset", optarg);
			has_get_options = true;
			break;
		case 'L':
			o.get.length = parse_u64("--length", optarg);
			has_get_options = true;
			break;
		case 'j': o.json = true; break;
		case 'Q': o.get.quiet = true; break;
		default: bad_option(c, argv);
		}
	}
	if (o.command != "get" && has_get_options)
		throw UsageError("-o, --offset and --length apply to 'get' only");
	return {argv + optind, argv + argc};
}

void check_operands(Options &o, const std::vector<std::string> &operands)
{
	const std::string &cmd = o.command;
	if (cmd == "ping" || cmd == "status") {
		if (!operands.empty())
			throw UsageError(cmd + " takes no arguments");
	} else if (cmd == "stat" || cmd == "get") {
		if (operands.size() != 1)
			throw UsageError(cmd + " takes exactly one PATH");
	} else if (cmd == "ls") {
		if (operands.size() > 1)
			throw UsageError("ls takes at most one DIR");
	} else {
		throw UsageError("unknown command '" + cmd + "'");
	}
	if (!operands.empty())
		o.path = operands[0];
}

} // namespace

Options parse_options(int argc, char **argv, const char *env_queue)
{
	Options o;
	if (env_queue && *env_queue)
		o.client.queue = env_queue;
	opterr = 0;
	optind = 0; // 0: glibc starts afresh, whatever an earlier parse left
	parse_global(argc, argv, o);
	if (o.help || o.version)
		return o;
	if (optind >= argc)
		throw UsageError("no command given");
	o.command = argv[optind];
	int first = optind;
	auto operands = parse_command(argc - first, argv + first, o);
	if (!is_valid_queue_name(o.client.queue))
		throw UsageError(
		        "'" + o.client.queue +
		        "' is not a queue name (a '/' followed by 1 to 255 characters, no other '/')");
	check_operands(o, operands);
	return o;
}

} // namespace fileserver::cli
