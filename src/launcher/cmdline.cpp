// SPDX-License-Identifier: MIT
#include "cmdline.h"

#include <getopt.h>

#include <charconv>

#include "build-config.h"

namespace fileserver {

const char *const kDaemonUsage =
	"Usage: fileserverd [OPTION]...\n"
	"Serve the files under a directory to local clients over POSIX message queues.\n"
	"\n"
	"  -c, --config FILE      configuration file (default " FILESERVER_CONFIG_FILE ")\n"
	"  -r, --root DIR         directory to serve (default " FILESERVER_DEFAULT_ROOT ")\n"
	"  -q, --queue NAME       server queue name (default /fileserver)\n"
	"  -w, --workers N        worker threads (default 4)\n"
	"  -l, --log-level LEVEL  trace, debug, info, warning, error, critical or off\n"
	"      --check-config     validate the configuration, print it as JSON and exit\n"
	"  -h, --help             show this help and exit\n"
	"  -V, --version          show the version and exit\n"
	"\n"
	"Command-line options override the configuration file. SIGHUP reloads it;\n"
	"SIGTERM and SIGINT stop the server after in-flight transfers finish.\n"
	"Exit status: 0 success, 1 failure, 2 usage error, 4 queue not safe to use,\n"
	"6 invalid configuration. See fileserverd(8).\n";

namespace {

unsigned long parse_number(const char *opt, const char *arg)
{
	unsigned long v = 0;
	const char *end = arg + std::char_traits<char>::length(arg);
	auto [ptr, ec] = std::from_chars(arg, end, v);
	if (ec != std::errc() || ptr != end || arg == end)
		throw UsageError(std::string(opt) + ": not a number: '" + arg + "'");
	return v;
}

} // namespace

DaemonOptions parse_daemon_cmdline(int argc, char **argv)
{
	enum { OPT_CHECK_CONFIG = 0x100 };
	static const struct option longopts[] = {
		{"config", required_argument, nullptr, 'c'},
		{"root", required_argument, nullptr, 'r'},
		{"queue", required_argument, nullptr, 'q'},
		{"workers", required_argument, nullptr, 'w'},
		{"log-level", required_argument, nullptr, 'l'},
		{"check-config", no_argument, nullptr, OPT_CHECK_CONFIG},
		{"help", no_argument, nullptr, 'h'},
		{"version", no_argument, nullptr, 'V'},
		{nullptr, 0, nullptr, 0},
	};

	DaemonOptions o;
	o.config_path = FILESERVER_CONFIG_FILE;
	optind = 0; // reset, so that tests can parse several command lines
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":c:r:q:w:l:hV", longopts, nullptr)) != -1) {
		switch (c) {
		case 'c':
			o.config_path = optarg;
			o.config_path_given = true;
			break;
		case 'r': o.overrides["root"] = optarg; break;
		case 'q': o.overrides["queue"] = optarg; break;
		case 'w': o.overrides["workers"] = parse_number("--workers", optarg); break;
		case 'l': o.overrides["log_level"] = optarg; break;
		case OPT_CHECK_CONFIG: o.check_config = true; break;
		case 'h': o.show_help = true; break;
		case 'V': o.show_version = true; break;
		case ':':
			throw UsageError(std::string("option '") + argv[optind - 1] + "' needs an argument");
		default:
			throw UsageError(std::string("unknown option '") + argv[optind - 1] + "'");
		}
	}
	if (optind < argc)
		throw UsageError(std::string("unexpected argument '") + argv[optind] + "'");
	return o;
}

} // namespace fileserver
