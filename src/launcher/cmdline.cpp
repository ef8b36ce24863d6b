// SPDX-License-Identifier: MIT
#include "cmdline.h"

#include <getopt.h>

#include <charconv>
#include <string_view>

#include "build-config.h"

namespace fileserver {

const char *const kDaemonUsage =
        "Usage: fileserverd [OPTION]...\n"
        "Serve the files under a directory to local clients over POSIX message queues.\n"
        "\n"
        "  -c, --config FILE      configuration file (default " FILESERVER_CONFIG_FILE ")\n"
        "  -r, --root DIR         directory to serve (default " FILESERVER_DEFAULT_ROOT ")\n"
        "  -q, --queue NAME       server queue name (default /fileserver)\n"
        "  -w, --workers N        threads that resume parked transfers (default: one per CPU,\n"
        "                         2 to 16)\n"
        "  -l, --log-level LEVEL  trace, debug, info, warning, error, critical or off\n"
        "      --check-config     validate the configuration, print it as JSON and exit\n"
        "  -h, --help             show this help and exit\n"
        "  -V, --version          show the version and exit\n"
        "\n"
        "Legacy SysV daemon mode (without systemd):\n"
        "  -d, --daemonize        detach (fork, setsid, fork), log to syslog, and exit once\n"
        "                         the daemon serves, or with its error if it cannot start\n"
        "      --pidfile FILE     write the daemon's PID to FILE and hold a lock on it\n"
        "      --user USER        switch to USER (and its groups) once the PID file and the\n"
        "                         queue are open\n"
        "      --group GROUP      primary group instead of USER's (needs --user)\n"
        "      --umask MODE       the daemon's umask, in octal (default 0)\n"
        "      --chroot DIR       chroot to DIR before switching user; the configuration\n"
        "                         file and the served root are then paths inside DIR\n"
        "      --startup-timeout SECS\n"
        "                         how long to wait for the daemon to start (default 60)\n"
        "The options of this mode need --daemonize.\n"
        "\n"
        "Command-line options override the configuration file. SIGHUP reloads it;\n"
        "SIGTERM and SIGINT stop the server after in-flight transfers finish.\n"
        "With --daemonize, SIGUSR2 re-executes the binary in place (same PID, PID file\n"
        "and queue).\n"
        "Exit status: 0 success, 1 failure (also: already running), 2 usage error,\n"
        "4 queue not safe to use or insufficient privileges, 6 invalid configuration\n"
        "(also: unknown user or group, missing root). See fileserverd(8).\n";

namespace {

constexpr const char *kReexecFlag = "--internal-reexec";

unsigned long parse_number(const char *opt, const char *arg, int base = 10)
{
	unsigned long v = 0;
	const char *end = arg + std::char_traits<char>::length(arg);
	auto [ptr, ec] = std::from_chars(arg, end, v, base);
	if (ec != std::errc() || ptr != end || arg == end)
		throw UsageError(std::string(opt) + ": not a" + (base == 8 ? "n octal" : "") + " number: '" +
		                 arg + "'");
	return v;
}

constexpr const char *kShortOptions = ":c:r:q:w:l:dhV";

// The option getopt_long() just complained about. optopt holds an unknown
// short option's letter; for a long option it holds 0 (unknown, ambiguous)
// or the option's value, and optind has moved past the whole argument.
// Inside a group of short options (-xh), optind has not moved yet.
std::string failed_option(char **argv)
{
	std::string_view letters(kShortOptions + 1);
	bool known_short = optopt > 0 && optopt < 0x100 &&
	                   letters.find(static_cast<char>(optopt)) != std::string_view::npos;
	const char *last = argv[optind - 1];
	bool long_form = last[0] == '-' && last[1] == '-';
	if (optopt == 0 || optopt >= 0x100 || (known_short && long_form))
		return last;
	return std::string("-") + static_cast<char>(optopt);
}

std::string octal(mode_t m)
{
	char buf[8];
	auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<unsigned>(m), 8);
	return "0" + std::string(buf, ptr);
}

} // namespace

DaemonOptions parse_daemon_cmdline(int argc, char **argv)
{
	enum {
		OPT_CHECK_CONFIG = 0x100,
		OPT_PIDFILE,
		OPT_USER,
		OPT_GROUP,
		OPT_UMASK,
		OPT_CHROOT,
		OPT_STARTUP_TIMEOUT,
		OPT_REEXEC,
	};
	static const struct option longopts[] = {
	        {"config", required_argument, nullptr, 'c'},
	        {"root", required_argument, nullptr, 'r'},
	        {"queue", required_argument, nullptr, 'q'},
	        {"workers", required_argument, nullptr, 'w'},
	        {"log-level", required_argument, nullptr, 'l'},
	        {"check-config", no_argument, nullptr, OPT_CHECK_CONFIG},
	        {"daemonize", no_argument, nullptr, 'd'},
	        {"pidfile", required_argument, nullptr, OPT_PIDFILE},
	        {"user", required_argument, nullptr, OPT_USER},
	        {"group", required_argument, nullptr, OPT_GROUP},
	        {"umask", required_argument, nullptr, OPT_UMASK},
	        {"chroot", required_argument, nullptr, OPT_CHROOT},
	        {"startup-timeout", required_argument, nullptr, OPT_STARTUP_TIMEOUT},
	        {kReexecFlag + 2, no_argument, nullptr, OPT_REEXEC},
	        {"help", no_argument, nullptr, 'h'},
	        {"version", no_argument, nullptr, 'V'},
	        {nullptr, 0, nullptr, 0},
	};

	DaemonOptions o;
	o.config_path = FILESERVER_CONFIG_FILE;
	optind = 0; // reset, so that tests can parse several command lines
	opterr = 0;
	std::string needs_daemonize; // the first option that needs --daemonize
	auto daemon_only = [&](const char *name) {
		if (needs_daemonize.empty())
			needs_daemonize = name;
	};
	int c;
	while ((c = getopt_long(argc, argv, kShortOptions, longopts, nullptr)) != -1) {
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
		case 'd': o.daemonize = true; break;
		case OPT_PIDFILE:
			if (!*optarg)
				throw UsageError("--pidfile: empty file name");
			o.pidfile = optarg;
			daemon_only("--pidfile");
			break;
		case OPT_USER:
			if (!*optarg)
				throw UsageError("--user: empty user name");
			o.user = optarg;
			daemon_only("--user");
			break;
		case OPT_GROUP:
			if (!*optarg)
				throw UsageError("--group: empty group name");
			o.group = optarg;
			daemon_only("--group");
			break;
		case OPT_UMASK: {
			unsigned long m = parse_number("--umask", optarg, 8);
			if (m > 0777)
				throw UsageError(std::string("--umask: '") + optarg +
				                 "' is not a mode (0 to 0777)");
			o.umask = static_cast<mode_t>(m);
			daemon_only("--umask");
			break;
		}
		case OPT_CHROOT:
			if (!*optarg)
				throw UsageError("--chroot: empty directory name");
			o.chroot_dir = optarg;
			daemon_only("--chroot");
			break;
		case OPT_STARTUP_TIMEOUT: {
			unsigned long s = parse_number("--startup-timeout", optarg);
			if (s < 1 || s > 3600)
				throw UsageError(std::string("--startup-timeout: '") + optarg +
				                 "' is out of range (1 to 3600 seconds)");
			o.startup_timeout_sec = static_cast<unsigned>(s);
			daemon_only("--startup-timeout");
			break;
		}
		case OPT_REEXEC:
			o.reexec = true;
			daemon_only(kReexecFlag);
			break;
		case 'h': o.show_help = true; break;
		case 'V': o.show_version = true; break;
		case ':': throw UsageError("option '" + failed_option(argv) + "' needs an argument");
		default: throw UsageError("unknown option '" + failed_option(argv) + "'");
		}
	}
	if (optind < argc)
		throw UsageError(std::string("unexpected argument '") + argv[optind] + "'");
	if (!needs_daemonize.empty() && !o.daemonize)
		throw UsageError(needs_daemonize + " needs --daemonize");
	if (!o.group.empty() && o.user.empty())
		throw UsageError("--group needs --user");
	return o;
}

std::vector<std::string> daemon_cmdline_args(const DaemonOptions &o)
{
	std::vector<std::string> a;
	if (o.config_path_given)
		a.insert(a.end(), {"--config", o.config_path});
	static const std::pair<const char *, const char *> kOverrides[] = {
	        {"root", "--root"},
	        {"queue", "--queue"},
	        {"workers", "--workers"},
	        {"log_level", "--log-level"},
	};
	for (const auto &[key, opt] : kOverrides) {
		auto it = o.overrides.find(key);
		if (it == o.overrides.end())
			continue;
		a.emplace_back(opt);
		a.push_back(it->is_string() ? it->get<std::string>() : it->dump());
	}
	if (o.check_config)
		a.emplace_back("--check-config");
	if (o.daemonize)
		a.emplace_back("--daemonize");
	if (!o.pidfile.empty())
		a.insert(a.end(), {"--pidfile", o.pidfile});
	if (!o.user.empty())
		a.insert(a.end(), {"--user", o.user});
	if (!o.group.empty())
		a.insert(a.end(), {"--group", o.group});
	if (o.daemonize && o.umask != 0)
		a.insert(a.end(), {"--umask", octal(o.umask)});
	if (!o.chroot_dir.empty())
		a.insert(a.end(), {"--chroot", o.chroot_dir});
	if (o.daemonize && o.startup_timeout_sec != DaemonOptions().startup_timeout_sec)
		a.insert(a.end(), {"--startup-timeout", std::to_string(o.startup_timeout_sec)});
	if (o.reexec)
		a.emplace_back(kReexecFlag);
	return a;
}

} // namespace fileserver
