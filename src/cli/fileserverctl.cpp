// SPDX-License-Identifier: MIT
// fileserverctl: the command-line client. Exit codes are ClientStatus values.

#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "build-config.h"
#include "cli/progress.h"
#include "client/atomic-file.h"
#include "client/client.h"
#include "client/signal-cleanup.h"
#include "util/mqueue.h"

using namespace fileserver;
using nlohmann::json;

namespace {

const char *const kUsage = "Usage: fileserverctl [OPTION]... COMMAND [ARG]...\n"
                           "Fetch files from a fileserverd server over POSIX message queues.\n"
                           "\n"
                           "Commands:\n"
                           "  get PATH [-o FILE] [--offset N] [--length N]\n"
                           "                      write the file (or a byte range of it) to stdout or FILE;\n"
                           "                      FILE is replaced atomically, never left partial;\n"
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

struct UsageError {
	std::string message;
};

std::uint64_t parse_u64(const std::string &opt, const char *arg)
{
	std::uint64_t v = 0;
	const char *end = arg + std::char_traits<char>::length(arg);
	auto [ptr, ec] = std::from_chars(arg, end, v);
	if (ec != std::errc() || ptr != end || arg == end)
		throw UsageError{opt + ": not a non-negative integer: '" + arg + "'"};
	return v;
}

double parse_seconds(const char *arg)
{
	char *end = nullptr;
	double v = std::strtod(arg, &end);
	if (!end || *end != '\0' || end == arg || !(v >= 0.001) || v > 86400)
		throw UsageError{std::string("--timeout: expected seconds (0.001 to 86400), got '") + arg +
		                 "'"};
	return v;
}

std::string type_name(std::uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	case S_IFCHR: return "char-device";
	case S_IFBLK: return "block-device";
	default: return "unknown";
	}
}

std::string mode_octal(std::uint32_t mode)
{
	char b[8];
	std::snprintf(b, sizeof(b), "%04o", mode & 07777);
	return b;
}

std::string mode_string(std::uint32_t mode)
{
	std::string s = "?rwxrwxrwx";
	switch (mode & S_IFMT) {
	case S_IFREG: s[0] = '-'; break;
	case S_IFDIR: s[0] = 'd'; break;
	case S_IFLNK: s[0] = 'l'; break;
	case S_IFIFO: s[0] = 'p'; break;
	case S_IFSOCK: s[0] = 's'; break;
	case S_IFCHR: s[0] = 'c'; break;
	case S_IFBLK: s[0] = 'b'; break;
	}
	for (int i = 0; i < 9; i++)
		if (!(mode & (1u << (8 - i))))
			s[1 + i] = '-';
	return s;
}

std::string iso_time(std::int64_t sec, std::uint32_t nsec, bool with_nsec)
{
	time_t t = static_cast<time_t>(sec);
	struct tm tm;
	gmtime_r(&t, &tm);
	char b[64];
	std::strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	std::string s = b;
	if (with_nsec) {
		char n[16];
		std::snprintf(n, sizeof(n), ".%09u", nsec);
		s += n;
	}
	return s + "Z";
}

int report(const ClientResult &r, const std::string &what)
{
	std::fprintf(stderr, "fileserverctl: %s%s%s\n", what.c_str(), what.empty() ? "" : ": ",
	             r.message.c_str());
	return static_cast<int>(r.status);
}

int cmd_ping(const Client &client, const ClientOptions &opts, bool as_json)
{
	PingInfo info;
	ClientResult r = client.ping(info);
	if (!r.ok())
		return report(r, "ping " + opts.queue);
	double ms = static_cast<double>(info.round_trip.count()) / 1000.0;
	if (as_json)
		std::cout << json{{"queue", opts.queue},
		                  {"server_version", info.pong.server_version},
		                  {"protocol_version", info.pong.protocol_version},
		                  {"round_trip_ms", ms}}
		                     .dump()
		          << "\n";
	else
		std::printf("pong from %s: %s (protocol %u), %.3f ms\n", opts.queue.c_str(),
		            info.pong.server_version.c_str(), info.pong.protocol_version, ms);
	return 0;
}

int cmd_status(const Client &client, const ClientOptions &opts, bool as_json)
{
	std::string text;
	ClientResult r = client.status(text);
	if (!r.ok())
		return report(r, "status " + opts.queue);
	json j = json::parse(text, nullptr, false);
	if (j.is_discarded() || !j.is_object())
		return report({ClientStatus::Protocol, 0, "the server's status is not a JSON object"},
		              "status");
	if (as_json) {
		std::cout << j.dump() << "\n";
		return 0;
	}
	for (const auto &[key, value] : j.items())
		std::printf("%18s: %s\n", key.c_str(),
		            value.is_string() ? value.get<std::string>().c_str() : value.dump().c_str());
	return 0;
}

int cmd_stat(const Client &client, const std::string &path, bool as_json)
{
	protocol::Meta m;
	ClientResult r = client.stat(path, m);
	if (!r.ok())
		return report(r, path);
	if (as_json) {
		std::cout << json{{"path", path},
		                  {"type", type_name(m.mode)},
		                  {"size", m.size},
		                  {"mode", mode_octal(m.mode)},
		                  {"uid", m.uid},
		                  {"gid", m.gid},
		                  {"mtime", iso_time(m.mtime_sec, m.mtime_nsec, true)},
		                  {"mtime_sec", m.mtime_sec},
		                  {"mtime_nsec", m.mtime_nsec}}
		                     .dump()
		          << "\n";
	} else {
		std::printf("  Path: %s\n  Type: %s\n  Size: %llu\n  Mode: %s (%s)\n   Uid: %u\n   Gid: %u\n"
		            " Mtime: %s\n",
		            path.c_str(), type_name(m.mode).c_str(), static_cast<unsigned long long>(m.size),
		            mode_octal(m.mode).c_str(), mode_string(m.mode).c_str(), m.uid, m.gid,
		            iso_time(m.mtime_sec, m.mtime_nsec, true).c_str());
	}
	return 0;
}

int cmd_ls(const Client &client, const std::string &path, bool as_json)
{
	protocol::Meta dir;
	std::vector<protocol::Entry> entries;
	ClientResult r = client.list(path, dir, entries);
	if (!r.ok())
		return report(r, path.empty() ? "." : path);
	std::sort(entries.begin(), entries.end(),
	          [](const auto &a, const auto &b) { return a.name < b.name; });
	if (as_json) {
		json arr = json::array();
		for (const auto &e : entries)
			arr.push_back({{"name", e.name},
			               {"type", type_name(e.mode)},
			               {"size", e.size},
			               {"mode", mode_octal(e.mode)},
			               {"mtime", iso_time(e.mtime_sec, 0, false)}});
		std::cout << arr.dump() << "\n";
	} else {
		for (const auto &e : entries)
			std::printf("%s %12llu %s %s\n", mode_string(e.mode).c_str(),
			            static_cast<unsigned long long>(e.size),
			            iso_time(e.mtime_sec, 0, false).c_str(), e.name.c_str());
	}
	return 0;
}

struct GetOptions {
	std::string output; // empty or "-": standard output
	std::uint64_t offset = 0;
	std::uint64_t length = protocol::kToEnd;
	bool quiet = false;
};

// The progress bar goes to stderr when it is a terminal, but not over a
// file being written to that same terminal, nor for a small transfer.
bool want_progress(const GetOptions &o)
{
	if (o.quiet || !isatty(STDERR_FILENO))
		return false;
	bool to_stdout = o.output.empty() || o.output == "-";
	return !(to_stdout && isatty(STDOUT_FILENO));
}

std::string base_name(std::string path)
{
	while (path.size() > 1 && path.back() == '/')
		path.pop_back();
	auto slash = path.find_last_of('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

int cmd_get(const Client &client, const std::string &path, const GetOptions &o)
{
	std::optional<ProgressBar> bar;
	std::uint64_t received = 0;
	Client::MetaHandler on_meta;
	if (want_progress(o))
		on_meta = [&](const protocol::Meta &m) {
			if (m.length >= kProgressMinBytes)
				bar.emplace(STDERR_FILENO, base_name(path), m.length);
		};
	auto progress = [&](std::size_t n) {
		received += n;
		if (bar)
			bar->update(received);
	};
	auto done = [&](bool ok) {
		if (bar)
			bar->finish(ok);
	};

	if (o.output.empty() || o.output == "-") {
		ClientResult r =
		        client.get(path, o.offset, o.length, on_meta, [&](std::span<const std::uint8_t> d) {
			        int e = write_all(STDOUT_FILENO, d);
			        if (e == 0)
				        progress(d.size());
			        return e;
		        });
		done(r.ok());
		return r.ok() ? 0 : report(r, path);
	}
	AtomicFile file;
	int e = file.open(o.output);
	if (e < 0) {
		std::fprintf(stderr, "fileserverctl: cannot create %s: %s\n", o.output.c_str(),
		             std::strerror(-e));
		return static_cast<int>(ClientStatus::Failed);
	}
	ClientResult r = client.get(path, o.offset, o.length, on_meta, [&](std::span<const std::uint8_t> d) {
		int err = file.write(d);
		if (err == 0)
			progress(d.size());
		return err;
	});
	if (!r.ok()) {
		done(false);
		file.discard();
		return report(r, path);
	}
	e = file.commit();
	done(e == 0);
	if (e < 0) {
		std::fprintf(stderr, "fileserverctl: cannot write %s: %s\n", o.output.c_str(),
		             std::strerror(-e));
		return static_cast<int>(ClientStatus::Failed);
	}
	return 0;
}

int run_command(const Client &client, const ClientOptions &opts, const std::string &cmd,
                const std::vector<std::string> &operands, const GetOptions &get, bool as_json);

int run(int argc, char **argv)
{
	ClientOptions opts;
	if (const char *q = std::getenv("FILESERVER_QUEUE"); q && *q)
		opts.queue = q;
	bool as_json = false;
	GetOptions get;

	static const struct option global_opts[] = {
	        {"queue", required_argument, nullptr, 'q'},
	        {"timeout", required_argument, nullptr, 't'},
	        {"json", no_argument, nullptr, 'j'},
	        {"quiet", no_argument, nullptr, 'Q'},
	        {"help", no_argument, nullptr, 'h'},
	        {"version", no_argument, nullptr, 'V'},
	        {nullptr, 0, nullptr, 0},
	};
	opterr = 0;
	int c;
	// '+': stop at the command; its own options follow it.
	while ((c = getopt_long(argc, argv, "+:q:t:jhV", global_opts, nullptr)) != -1) {
		switch (c) {
		case 'q': opts.queue = optarg; break;
		case 't':
			opts.timeout =
			        std::chrono::milliseconds(static_cast<long>(parse_seconds(optarg) * 1000));
			break;
		case 'j': as_json = true; break;
		case 'Q': get.quiet = true; break;
		case 'h': std::fputs(kUsage, stdout); return 0;
		case 'V': std::puts("fileserverctl " FILESERVER_VERSION); return 0;
		case ':':
			throw UsageError{std::string("option '") + argv[optind - 1] + "' needs an argument"};
		default: throw UsageError{std::string("unknown option '") + argv[optind - 1] + "'"};
		}
	}
	if (optind >= argc)
		throw UsageError{"no command given"};
	std::string cmd = argv[optind];

	// The command's own options and operands, in any order.
	bool has_get_options = false;
	std::vector<std::string> operands;
	static const struct option get_opts[] = {
	        {"output", required_argument, nullptr, 'o'}, {"offset", required_argument, nullptr, 'O'},
	        {"length", required_argument, nullptr, 'L'}, {"json", no_argument, nullptr, 'j'},
	        {"quiet", no_argument, nullptr, 'Q'},        {nullptr, 0, nullptr, 0},
	};
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	optind = 0;
	while ((c = getopt_long(sub_argc, sub_argv, ":o:j", get_opts, nullptr)) != -1) {
		switch (c) {
		case 'o':
			get.output = optarg;
			has_get_options = true;
			if (get.output.empty())
				throw UsageError{"-o: empty file name"};
			break;
		case 'O':
			get.offset = parse_u64("--offset", optarg);
			has_get_options = true;
			break;
		case 'L':
			get.length = parse_u64("--length", optarg);
			has_get_options = true;
			break;
		case 'j': as_json = true; break;
		case 'Q': get.quiet = true; break;
		case ':':
			throw UsageError{std::string("option '") + sub_argv[optind - 1] +
			                 "' needs an argument"};
		default: throw UsageError{std::string("unknown option '") + sub_argv[optind - 1] + "'"};
		}
	}
	for (int i = optind; i < sub_argc; i++)
		operands.emplace_back(sub_argv[i]);
	if (cmd != "get" && has_get_options)
		throw UsageError{"-o, --offset and --length apply to 'get' only"};

	if (!is_valid_queue_name(opts.queue))
		throw UsageError{
		        "'" + opts.queue +
		        "' is not a queue name (a '/' followed by 1 to 255 characters, no other '/')"};

	install_cleanup_handlers();
	Client client(opts);
	int code = run_command(client, opts, cmd, operands, get, as_json);
	// Anyone may write to a reply queue: say so when someone did.
	if (std::uint64_t foreign = client.foreign_messages())
		std::fprintf(stderr,
		             "fileserverctl: warning: dropped %llu message(s) that were not part of this "
		             "reply (forged, or left from another request)\n",
		             static_cast<unsigned long long>(foreign));
	return code;
}

int run_command(const Client &client, const ClientOptions &opts, const std::string &cmd,
                const std::vector<std::string> &operands, const GetOptions &get, bool as_json)
{
	if (cmd == "ping") {
		if (!operands.empty())
			throw UsageError{"ping takes no arguments"};
		return cmd_ping(client, opts, as_json);
	}
	if (cmd == "status") {
		if (!operands.empty())
			throw UsageError{"status takes no arguments"};
		return cmd_status(client, opts, as_json);
	}
	if (cmd == "stat" || cmd == "get") {
		if (operands.size() != 1)
			throw UsageError{cmd + " takes exactly one PATH"};
		if (cmd == "stat")
			return cmd_stat(client, operands[0], as_json);
		return cmd_get(client, operands[0], get);
	}
	if (cmd == "ls") {
		if (operands.size() > 1)
			throw UsageError{"ls takes at most one DIR"};
		return cmd_ls(client, operands.empty() ? "" : operands[0], as_json);
	}
	throw UsageError{"unknown command '" + cmd + "'"};
}

} // namespace

int main(int argc, char **argv)
{
	try {
		return run(argc, argv);
	} catch (const UsageError &e) {
		std::fprintf(stderr, "fileserverctl: %s\nTry 'fileserverctl --help' for more information.\n",
		             e.message.c_str());
		return static_cast<int>(ClientStatus::Usage);
	}
}
