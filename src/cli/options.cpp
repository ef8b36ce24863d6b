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
        "  get PATH... -O DIR [-r]\n"
        "                      write each file to DIR/NAME (NAME: the last component);\n"
        "                      with -r, a directory's tree is recreated under DIR\n"
        "  stat PATH           show a file's size, type, mode, owner and mtime\n"
        "  ls [DIR]            list a directory (default: the served root)\n"
        "  ping                check that the server answers; show its version\n"
        "  status              show the server's live statistics\n"
        "\n"
        "Options of get:\n"
        "  -o, --output FILE     write the one PATH to FILE\n"
        "  -O, --output-dir DIR  write every PATH into DIR (created if missing)\n"
        "  -r, --recursive       fetch directories with their tree (needs -O)\n"
        "  -c, --continue        resume NAME.part left by an interrupted get\n"
        "      --offset N        start at byte N (one PATH, no --continue)\n"
        "      --length N        fetch at most N bytes\n"
        "\n"
        "Options:\n"
        "  -q, --queue NAME     server queue (default $FILESERVER_QUEUE or /fileserver)\n"
        "  -t, --timeout SECS   wait at most this long for the server (default 10)\n"
        "  -j, --json           print stat, ls, ping and status results as JSON\n"
        "      --quiet          no progress bar for get\n"
        "  -v, --verbose        get: say what --continue does; always print the summary\n"
        "  -h, --help           show this help and exit\n"
        "  -V, --version        show the version and exit\n"
        "\n"
        "Exit status: 0 success, 1 other failure, 2 usage error, 3 not found,\n"
        "4 refused, 5 server unreachable or timed out, 6 protocol error, 7 server busy;\n"
        "with several files, the worst failure's (see fileserverctl(1)).\n";

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
	        {"queue", required_argument, nullptr, 'q'}, {"timeout", required_argument, nullptr, 't'},
	        {"json", no_argument, nullptr, 'j'},        {"quiet", no_argument, nullptr, 'Q'},
	        {"verbose", no_argument, nullptr, 'v'},     {"help", no_argument, nullptr, 'h'},
	        {"version", no_argument, nullptr, 'V'},     {nullptr, 0, nullptr, 0},
	};
	int c;
	// '+': stop at the command; its own options follow it.
	while ((c = getopt_long(argc, argv, "+:q:t:jvhV", opts, nullptr)) != -1) {
		switch (c) {
		case 'q': o.client.queue = optarg; break;
		case 't': o.client.timeout = parse_timeout(optarg); break;
		case 'j': o.json = true; break;
		case 'Q': o.get.quiet = true; break;
		case 'v': o.get.verbose = true; break;
		case 'h': o.help = true; return;
		case 'V': o.version = true; return;
		default: bad_option(c, argv);
		}
	}
}

// Codes of the long options without a short one.
enum : int {
	kOffset = 256,
	kLength,
	kQuiet,
};

// The command's own options and operands, in any order.
std::vector<std::string> parse_command(int argc, char **argv, Options &o)
{
	static const struct option opts[] = {
	        {"output", required_argument, nullptr, 'o'},
	        {"output-dir", required_argument, nullptr, 'O'},
	        {"recursive", no_argument, nullptr, 'r'},
	        {"continue", no_argument, nullptr, 'c'},
	        {"offset", required_argument, nullptr, kOffset},
	        {"length", required_argument, nullptr, kLength},
	        {"json", no_argument, nullptr, 'j'},
	        {"quiet", no_argument, nullptr, kQuiet},
	        {"verbose", no_argument, nullptr, 'v'},
	        {nullptr, 0, nullptr, 0},
	};
	bool has_get_options = false;
	bool has_range = false;
	optind = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":o:O:rcjv", opts, nullptr)) != -1) {
		switch (c) {
		case 'o':
			o.get.output = optarg;
			if (o.get.output.empty())
				throw UsageError("-o: empty file name");
			has_get_options = true;
			break;
		case 'O':
			o.get.output_dir = optarg;
			if (o.get.output_dir.empty())
				throw UsageError("-O: empty directory name");
			has_get_options = true;
			break;
		case 'r': o.get.recursive = has_get_options = true; break;
		case 'c': o.get.resume = has_get_options = true; break;
		case kOffset:
			o.get.offset = parse_u64("--offset", optarg);
			has_get_options = has_range = true;
			break;
		case kLength:
			o.get.length = parse_u64("--length", optarg);
			has_get_options = has_range = true;
			break;
		case 'j': o.json = true; break;
		case kQuiet: o.get.quiet = true; break;
		case 'v': o.get.verbose = true; break;
		default: bad_option(c, argv);
		}
	}
	if (o.command != "get" && has_get_options)
		throw UsageError("-o, -O, -r, --continue, --offset and --length apply to 'get' only");
	if (has_range && (o.get.resume || o.get.recursive || !o.get.output_dir.empty()))
		throw UsageError("--offset and --length apply to one PATH without -O, -r or --continue");
	return {argv + optind, argv + argc};
}

// get: one PATH to standard output or -o FILE, or any number with -O DIR.
void check_get(Options &o, const std::vector<std::string> &operands)
{
	GetOptions &g = o.get;
	if (operands.empty())
		throw UsageError("get needs a PATH");
	if (!g.output.empty() && !g.output_dir.empty())
		throw UsageError("-o and -O cannot be used together");
	if (g.output_dir.empty()) {
		if (g.recursive)
			throw UsageError("-r needs -O DIR");
		if (operands.size() != 1)
			throw UsageError("get of several paths needs -O DIR");
		if (g.resume && (g.output.empty() || g.output == "-"))
			throw UsageError("--continue needs -o FILE or -O DIR");
	}
	g.paths = operands;
}

void check_operands(Options &o, const std::vector<std::string> &operands)
{
	const std::string &cmd = o.command;
	if (cmd == "ping" || cmd == "status") {
		if (!operands.empty())
			throw UsageError(cmd + " takes no arguments");
	} else if (cmd == "get") {
		check_get(o, operands);
	} else if (cmd == "stat") {
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
