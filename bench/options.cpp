// SPDX-License-Identifier: MIT
#include "options.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "util/error.h"

namespace fileserver::bench {

namespace {

const char *const kUsage =
        "Usage: fileserver-bench [OPTION]...\n"
        "Benchmark fileserverd and its client library on files created for the run.\n"
        "\n"
        "      --fileserverd PATH   the daemon to run (default: the one built with this program)\n"
        "      --smoke              tiny sizes and short phases: proves that the benchmark works\n"
        "      --large-size BYTES   size of the large file (default 1073741824, 1 GiB)\n"
        "      --large-runs N       client and ceiling runs over the large file, alternated (default 5)\n"
        "      --small-files N      number of 4 KiB files (default 256)\n"
        "      --small-size BYTES   size of the small files (default 4096)\n"
        "      --duration SECS      measured time per small-file concurrency level (default 5)\n"
        "      --concurrency LIST   concurrent clients for the small-file phase (default 1,2,8)\n"
        "      --rounds N           measurements of each small-file level, each followed at once\n"
        "                           by the kept-queue floor's (default 3; --smoke: 1)\n"
        "      --starts N           daemon starts timed to READY=1 (default 5)\n"
        "      --reloads N          reloads timed (default 5)\n"
        "      --workers N          the daemon's worker threads (default: the daemon's default)\n"
        "      --log-level LEVEL    the daemon's log level (default warning: no per-request lines)\n"
        "      --phases LIST        any of start,reload,large,small,cli,stalled,classic,floor\n"
        "                           (default: all)\n"
        "      --large-msgsize BYTES  the large phase again at messages of BYTES, in a private IPC\n"
        "                           namespace with a daemon of its own (root only; default 65536,\n"
        "                           0: not)\n"
        "      --stalled-clients N  clients stopped in the middle of a 10 MiB GET (default 1000)\n"
        "      --stalled-send-timeout MS  the daemon's send_timeout_ms in that phase (default 10000)\n"
        "      --stalled-duration SECS  each measurement of the fresh client in that phase\n"
        "                           (default 3)\n"
        "      --msgsize BYTES      run in a private IPC namespace whose fs.mqueue.msgsize_max is\n"
        "                           BYTES (needs root); the host's limits stay as they are\n"
        "      --msg-max N          with --msgsize: its fs.mqueue.msg_max (default: the host's)\n"
        "      --same-uid           as root, do not switch to an unused uid (whose mqueue budget\n"
        "                           is not shared with anything else on the host)\n"
        "      --dir DIR            where to create the work directory (default /var/tmp)\n"
        "      --json FILE          write the results there (default fileserver-bench.json)\n"
        "      --keep               keep the work directory\n"
        "  -h, --help               show this help and exit\n";

template<typename T>
T parse_num(const std::string &opt, std::string_view s)
{
	T v{};
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || p != s.data() + s.size() || s.empty())
		throw UsageError(opt + ": not a number: '" + std::string(s) + "'");
	return v;
}

std::vector<std::string> split(std::string_view s)
{
	std::vector<std::string> out;
	while (!s.empty()) {
		auto comma = s.find(',');
		out.emplace_back(s.substr(0, comma));
		if (comma == std::string_view::npos)
			break;
		s.remove_prefix(comma + 1);
	}
	return out;
}

// What the command line set itself, which --smoke leaves as it is.
struct Given {
	bool sizes = false; // --large-size or --duration: no smoke sizes at all
	bool rounds = false;
	bool stalled_clients = false;
	bool stalled_send_timeout = false;
	bool stalled_duration = false;
};

double parse_seconds(const std::string &opt, const std::string &s)
{
	double v = std::strtod(s.c_str(), nullptr);
	if (!(v > 0))
		throw UsageError(opt + ": must be positive");
	return v;
}

// Tiny sizes and short phases, unless the command line set the sizes.
void apply_smoke_sizes(Options &o, const Given &given)
{
	if (!given.stalled_clients)
		o.stalled_clients = 8;
	if (!given.stalled_send_timeout)
		o.stalled_send_timeout_ms = 1000;
	if (!given.stalled_duration)
		o.stalled_duration = 0.2;
	if (!given.rounds)
		o.rounds = 1;
	if (given.sizes)
		return;
	o.large_size = 4 << 20;
	o.large_runs = 1;
	o.small_files = 16;
	o.duration = 0.2;
	o.starts = 1;
	o.reloads = 1;
}

} // namespace

Options parse_options(int argc, char **argv)
{
	Options o;
	std::vector<std::string_view> args(argv + 1, argv + argc);
	Given given;
	for (std::size_t i = 0; i < args.size(); i++) {
		std::string a(args[i]);
		auto value = [&]() -> std::string {
			if (i + 1 >= args.size())
				throw UsageError(a + ": needs a value");
			return std::string(args[++i]);
		};
		if (a == "-h" || a == "--help") {
			std::fputs(kUsage, stdout);
			std::exit(0);
		} else if (a == "--fileserverd") {
			o.fileserverd = value();
		} else if (a == "--smoke") {
			o.smoke = true;
		} else if (a == "--large-size") {
			o.large_size = parse_num<std::uint64_t>(a, value());
			given.sizes = true;
		} else if (a == "--large-runs") {
			o.large_runs = std::max(1, parse_num<int>(a, value()));
		} else if (a == "--small-files") {
			o.small_files = std::max(1, parse_num<int>(a, value()));
		} else if (a == "--small-size") {
			o.small_size = parse_num<std::uint64_t>(a, value());
		} else if (a == "--duration") {
			o.duration = parse_seconds(a, value());
			given.sizes = true;
		} else if (a == "--rounds") {
			o.rounds = std::max(1, parse_num<int>(a, value()));
			given.rounds = true;
		} else if (a == "--concurrency") {
			o.concurrency.clear();
			for (auto &c : split(value()))
				o.concurrency.push_back(std::max(1, parse_num<int>(a, c)));
		} else if (a == "--starts") {
			o.starts = std::max(1, parse_num<int>(a, value()));
		} else if (a == "--reloads") {
			o.reloads = std::max(0, parse_num<int>(a, value()));
		} else if (a == "--workers") {
			o.workers = parse_num<int>(a, value());
		} else if (a == "--log-level") {
			o.log_level = value();
		} else if (a == "--phases") {
			o.phases = split(value());
		} else if (a == "--large-msgsize") {
			o.large_msgsize = std::max(0L, parse_num<long>(a, value()));
		} else if (a == "--stalled-clients") {
			o.stalled_clients = std::max(1, parse_num<int>(a, value()));
			given.stalled_clients = true;
		} else if (a == "--stalled-send-timeout") {
			o.stalled_send_timeout_ms = std::max(1, parse_num<int>(a, value()));
			given.stalled_send_timeout = true;
		} else if (a == "--stalled-duration") {
			o.stalled_duration = parse_seconds(a, value());
			given.stalled_duration = true;
		} else if (a == "--msgsize") {
			o.msgsize = parse_num<long>(a, value());
		} else if (a == "--msg-max") {
			o.msg_max = parse_num<long>(a, value());
		} else if (a == "--same-uid") {
			o.same_uid = true;
		} else if (a == "--dir") {
			o.dir = value();
		} else if (a == "--json") {
			o.json_path = value();
		} else if (a == "--keep") {
			o.keep = true;
		} else {
			throw UsageError("unknown option " + a + " (try --help)");
		}
	}
	if (o.smoke)
		apply_smoke_sizes(o, given);
	return o;
}

bool has_phase(const Options &o, std::string_view phase)
{
	return std::find(o.phases.begin(), o.phases.end(), phase) != o.phases.end();
}

} // namespace fileserver::bench
