// SPDX-License-Identifier: MIT
// fileserver-bench: measures, in one run and on files it creates, what makes
// fileserver worth choosing over a plain socket: large-file throughput through
// the real client library against the raw message queue ceiling at the same
// message size and depth, small-file requests per second and latency with
// 1, 2 and 8 concurrent clients, start-up and reload time, and the daemon's
// resident memory. It starts the real fileserverd on a private queue, prints
// a table and writes JSON. See docs/performance.md.

#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/client.h"
#include "util/random.h"
#include "util/time-util.h"

extern char **environ;

using namespace fileserver;
using json = nlohmann::json;

namespace {

// -- options -----------------------------------------------------------------

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
        "      --starts N           daemon starts timed to READY=1 (default 5)\n"
        "      --reloads N          reloads timed (default 5)\n"
        "      --workers N          the daemon's worker threads (default: the daemon's default)\n"
        "      --log-level LEVEL    the daemon's log level (default warning: no per-request lines)\n"
        "      --phases LIST        any of start,reload,large,small,floor (default: all)\n"
        "      --msgsize BYTES      run in a private IPC namespace whose fs.mqueue.msgsize_max is\n"
        "                           BYTES (needs root); the host's limits stay as they are\n"
        "      --msg-max N          with --msgsize: its fs.mqueue.msg_max (default: the host's)\n"
        "      --same-uid           as root, do not switch to an unused uid (whose mqueue budget\n"
        "                           is not shared with anything else on the host)\n"
        "      --dir DIR            where to create the work directory (default /var/tmp)\n"
        "      --json FILE          write the results there (default fileserver-bench.json)\n"
        "      --keep               keep the work directory\n"
        "  -h, --help               show this help and exit\n";

struct Options {
	std::string fileserverd = FILESERVER_BENCH_DAEMON;
	bool smoke = false;
	std::uint64_t large_size = 1ULL << 30;
	int large_runs = 5;
	int small_files = 256;
	std::uint64_t small_size = 4096;
	double duration = 5.0;
	std::vector<int> concurrency{1, 2, 8};
	int starts = 5;
	int reloads = 5;
	int workers = 0; // 0: the daemon's default
	std::string log_level = "warning";
	std::vector<std::string> phases{"start", "reload", "large", "small", "floor"};
	long msgsize = 0;
	long msg_max = 0;
	bool same_uid = false;
	std::string dir = "/var/tmp";
	std::string json_path = "fileserver-bench.json";
	bool keep = false;
};

// What die() must not leave behind: the daemon, its queue, the work directory.
struct Leftovers {
	std::atomic<pid_t> daemon{-1};
	char queue[64] = {};
	char work_dir[4096] = {};
	bool keep_work_dir = false;
} g_leftovers;

[[noreturn]] void die(const std::string &why)
{
	std::fprintf(stderr, "fileserver-bench: %s\n", why.c_str());
	pid_t pid = g_leftovers.daemon.exchange(-1);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, nullptr, 0);
	}
	if (g_leftovers.queue[0])
		mq_unlink(g_leftovers.queue);
	if (g_leftovers.work_dir[0] && !g_leftovers.keep_work_dir) {
		std::error_code ec;
		std::filesystem::remove_all(g_leftovers.work_dir, ec);
	}
	std::_Exit(1);
}

std::string sys_error(const std::string &what, int err = errno)
{
	return what + ": " + std::strerror(err);
}

template<typename T>
T parse_num(const std::string &opt, std::string_view s)
{
	T v{};
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || p != s.data() + s.size() || s.empty())
		die(opt + ": not a number: '" + std::string(s) + "'");
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

Options parse_options(int argc, char **argv)
{
	Options o;
	std::vector<std::string_view> args(argv + 1, argv + argc);
	bool smoke_sizes_overridden = false;
	for (std::size_t i = 0; i < args.size(); i++) {
		std::string a(args[i]);
		auto value = [&]() -> std::string {
			if (i + 1 >= args.size())
				die(a + ": needs a value");
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
			smoke_sizes_overridden = true;
		} else if (a == "--large-runs") {
			o.large_runs = std::max(1, parse_num<int>(a, value()));
		} else if (a == "--small-files") {
			o.small_files = std::max(1, parse_num<int>(a, value()));
		} else if (a == "--small-size") {
			o.small_size = parse_num<std::uint64_t>(a, value());
		} else if (a == "--duration") {
			o.duration = std::strtod(value().c_str(), nullptr);
			if (!(o.duration > 0))
				die("--duration: must be positive");
			smoke_sizes_overridden = true;
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
			die("unknown option " + a + " (try --help)");
		}
	}
	if (o.smoke && !smoke_sizes_overridden) {
		o.large_size = 4 << 20;
		o.large_runs = 1;
		o.small_files = 16;
		o.duration = 0.2;
		o.starts = 1;
		o.reloads = 1;
	}
	return o;
}

bool has_phase(const Options &o, std::string_view p)
{
	return std::find(o.phases.begin(), o.phases.end(), p) != o.phases.end();
}

// -- small helpers --------------------------------------------------------------

double now_sec()
{
	return static_cast<double>(monotonic_usec()) / 1e6;
}

std::string read_text(const std::string &path)
{
	std::ifstream in(path);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

long read_long(const std::string &path, long fallback = -1)
{
	std::ifstream in(path);
	long v = fallback;
	if (!(in >> v))
		return fallback;
	return v;
}

void write_text(const std::string &path, const std::string &text)
{
	std::ofstream out(path, std::ios::trunc);
	out << text;
	if (!out)
		die("cannot write " + path);
}

double percentile(std::vector<double> v, double p)
{
	if (v.empty())
		return 0;
	std::sort(v.begin(), v.end());
	// Nearest rank.
	auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
	return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

double median(std::vector<double> v)
{
	return percentile(std::move(v), 50);
}

// A field of /proc/PID/status in KiB (VmRSS, VmHWM), or -1.
long proc_status_kib(pid_t pid, const char *field)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/status");
	std::string line;
	std::string key = std::string(field) + ":";
	while (std::getline(in, line))
		if (line.starts_with(key))
			return std::strtol(line.c_str() + key.size(), nullptr, 10);
	return -1;
}

// CPU time (user + system) of @pid so far, in seconds (clock-tick resolution).
double proc_cpu_sec(pid_t pid)
{
	std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
	auto close_paren = stat.rfind(')');
	if (close_paren == std::string::npos)
		return 0;
	std::istringstream in(stat.substr(close_paren + 2));
	std::string field;
	unsigned long utime = 0, stime = 0;
	// Fields 3.. follow the command name; utime and stime are 14 and 15.
	for (int i = 3; i <= 15 && in >> field; i++) {
		if (i == 14)
			utime = std::stoul(field);
		if (i == 15)
			stime = std::stoul(field);
	}
	return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Context switches (voluntary + involuntary) of all threads of @pid so far.
std::uint64_t proc_context_switches(pid_t pid)
{
	std::uint64_t total = 0;
	std::error_code ec;
	for (auto &task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
		std::ifstream in(task.path() / "status");
		std::string line;
		while (std::getline(in, line))
			if (line.starts_with("voluntary_ctxt_switches:") ||
			    line.starts_with("nonvoluntary_ctxt_switches:"))
				total += std::strtoull(line.c_str() + line.find(':') + 1, nullptr, 10);
	}
	return total;
}

// Context switches of this process's threads so far.
std::uint64_t self_context_switches()
{
	struct rusage ru = {};
	getrusage(RUSAGE_SELF, &ru);
	return static_cast<std::uint64_t>(ru.ru_nvcsw + ru.ru_nivcsw);
}

// CPU time of this process so far, in seconds.
double self_cpu_sec()
{
	struct rusage ru = {};
	getrusage(RUSAGE_SELF, &ru);
	return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double load_average()
{
	double l = -1;
	std::ifstream in("/proc/loadavg");
	in >> l;
	return l;
}

std::string format_num(const char *format, double v)
{
	char buf[64];
	std::snprintf(buf, sizeof(buf), format, v);
	return buf;
}

// -- the machine ------------------------------------------------------------------

json machine_info()
{
	json m;
	m["nproc"] = std::thread::hardware_concurrency();
	std::string model = "unknown", mhz = "unknown";
	bool hypervisor = false;
	std::ifstream cpu("/proc/cpuinfo");
	std::string line;
	while (std::getline(cpu, line) && !line.empty()) { // the first CPU's block
		auto value = line.substr(line.find(':') + 1);
		if (!value.empty() && value[0] == ' ')
			value.erase(0, 1);
		if (line.starts_with("model name"))
			model = value;
		else if (line.starts_with("cpu MHz"))
			mhz = value;
		else if (line.starts_with("flags"))
			hypervisor = (" " + value + " ").find(" hypervisor ") != std::string::npos;
	}
	m["cpu_model"] = model;
	m["cpu_mhz"] = mhz;
	m["virtual_machine"] = hypervisor;
	struct utsname u;
	uname(&u);
	m["kernel"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
	m["mqueue_msgsize_max"] = read_long("/proc/sys/fs/mqueue/msgsize_max");
	m["mqueue_msg_max"] = read_long("/proc/sys/fs/mqueue/msg_max");
	m["mqueue_queues_max"] = read_long("/proc/sys/fs/mqueue/queues_max");
	struct rlimit rl = {};
	getrlimit(RLIMIT_MSGQUEUE, &rl);
	m["rlimit_msgqueue"] = rl.rlim_cur == RLIM_INFINITY ? -1L : static_cast<long>(rl.rlim_cur);
	m["memory_kib"] = [] {
		std::ifstream in("/proc/meminfo");
		std::string k;
		long v = -1;
		in >> k >> v;
		return v;
	}();
	m["build"] = FILESERVER_BENCH_BUILD;
	return m;
}

// -- isolation --------------------------------------------------------------------

// A private IPC namespace with other mqueue limits: only this process tree
// sees them.
void enter_ipc_namespace(long msgsize, long msg_max)
{
	long host_msg_max = read_long("/proc/sys/fs/mqueue/msg_max", 10);
	if (unshare(CLONE_NEWIPC) < 0)
		die(sys_error("--msgsize: unshare(CLONE_NEWIPC) (needs root)"));
	// A new namespace starts with the kernel's defaults, not the host's.
	write_text("/proc/sys/fs/mqueue/msg_max", std::to_string(msg_max > 0 ? msg_max : host_msg_max));
	write_text("/proc/sys/fs/mqueue/msgsize_max", std::to_string(msgsize));
}

// An unused uid that can run @daemon, for a mqueue budget (RLIMIT_MSGQUEUE,
// counted per real uid) of our own; 0 if there is none.
uid_t pick_private_uid(const std::string &daemon)
{
	if (geteuid() != 0)
		return 0;
	for (int attempt = 0; attempt < 8; attempt++) {
		uid_t uid = static_cast<uid_t>(1000000000 + random_u64() % 3000000000ULL);
		pid_t pid = fork();
		if (pid < 0)
			return 0;
		if (pid == 0) {
			if (setgroups(0, nullptr) < 0 || setresgid(uid, uid, uid) < 0 ||
			    setresuid(uid, uid, uid) < 0)
				_exit(2);
			_exit(access(daemon.c_str(), X_OK) == 0 ? 0 : 1);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			return uid;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
			return 0; // that uid cannot run the daemon: none will
	}
	return 0;
}

void become(uid_t uid)
{
	if (setgroups(0, nullptr) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
		die(sys_error("switching to uid " + std::to_string(uid)));
}

// -- the work directory -----------------------------------------------------------

struct WorkDir {
	std::string top;  // everything lives here
	std::string root; // the served root
	std::string large_name = "large.bin";
	std::vector<std::string> small_names;
	std::string config;
	std::string notify_path;
	std::string log_path;
};

void fill_file(const std::string &path, std::uint64_t size, std::uint64_t seed)
{
	int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(sys_error("create " + path));
	std::vector<std::uint64_t> block(1 << 17); // 1 MiB
	std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (auto &w : block) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w = x;
	}
	std::uint64_t left = size;
	while (left > 0) {
		std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, block.size() * 8));
		block[0]++; // not the same 1 MiB over and over
		ssize_t w = write(fd, block.data(), n);
		if (w < 0)
			die(sys_error("write " + path));
		left -= static_cast<std::uint64_t>(w);
	}
	close(fd);
}

// Reads the file once, so that the measured runs find it in the page cache.
void warm_page_cache(const std::string &path)
{
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(sys_error("open " + path));
	std::vector<char> buf(1 << 20);
	while (read(fd, buf.data(), buf.size()) > 0) {
	}
	close(fd);
}

WorkDir make_work_dir(const Options &o)
{
	WorkDir w;
	std::string tmpl = o.dir + "/fileserver-bench-XXXXXX";
	if (!mkdtemp(tmpl.data()))
		die(sys_error("mkdtemp in " + o.dir));
	w.top = tmpl;
	chmod(w.top.c_str(), 0755);
	w.root = w.top + "/root";
	mkdir(w.root.c_str(), 0755);
	mkdir((w.root + "/small").c_str(), 0755);
	if (has_phase(o, "large"))
		fill_file(w.root + "/" + w.large_name, o.large_size, 1);
	for (int i = 0; i < o.small_files; i++) {
		char name[32];
		std::snprintf(name, sizeof(name), "small/f%04d", i);
		w.small_names.emplace_back(name);
		fill_file(w.root + "/" + name, o.small_size, static_cast<std::uint64_t>(i) + 2);
	}
	w.config = w.top + "/fileserver.json";
	w.notify_path = w.top + "/notify.sock";
	w.log_path = w.top + "/fileserverd.log";
	return w;
}

void chown_tree(const std::string &top, uid_t uid)
{
	for (auto &e : std::filesystem::recursive_directory_iterator(top))
		lchown(e.path().c_str(), uid, uid);
	lchown(top.c_str(), uid, uid);
}

// -- the daemon -------------------------------------------------------------------

// The receiving end of NOTIFY_SOCKET. A thread reads it all the time: a
// daemon whose sd_notify() finds the socket's queue full blocks in it.
class NotifySocket
{
public:
	explicit NotifySocket(const std::string &path) : path_(path)
	{
		fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd_ < 0)
			die(sys_error("socket(AF_UNIX)"));
		struct sockaddr_un sa = {};
		sa.sun_family = AF_UNIX;
		if (path.size() >= sizeof(sa.sun_path))
			die("notify socket path too long: " + path);
		std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
		unlink(path.c_str());
		if (bind(fd_, reinterpret_cast<struct sockaddr *>(&sa), sizeof(sa)) < 0)
			die(sys_error("bind " + path));
		reader_ = std::thread([this] { read_loop(); });
	}
	~NotifySocket()
	{
		stop_.store(true);
		reader_.join();
		close(fd_);
		unlink(path_.c_str());
	}
	NotifySocket(const NotifySocket &) = delete;
	NotifySocket &operator=(const NotifySocket &) = delete;

	// Waits for a datagram with the line @want, received since the last
	// flush() or wait_for(); the monotonic time it came at, or nullopt
	// after @timeout_sec or if @pid exits.
	std::optional<double> wait_for(std::string_view want, pid_t pid, double timeout_sec)
	{
		double deadline = now_sec() + timeout_sec;
		std::unique_lock guard(lock_);
		for (;;) {
			while (!lines_.empty()) {
				auto [t, line] = std::move(lines_.front());
				lines_.pop_front();
				if (line == want)
					return t;
			}
			double left = deadline - now_sec();
			if (left <= 0)
				return std::nullopt;
			cond_.wait_for(guard, std::chrono::duration<double>(std::min(left, 0.05)));
			if (lines_.empty() && waitpid(pid, nullptr, WNOHANG) == pid)
				return std::nullopt;
		}
	}

	// Forgets what came so far (STATUS= updates).
	void flush()
	{
		std::lock_guard guard(lock_);
		lines_.clear();
	}

private:
	void read_loop()
	{
		while (!stop_.load()) {
			struct pollfd p = {fd_, POLLIN, 0};
			if (poll(&p, 1, 20) <= 0)
				continue;
			char buf[4096];
			ssize_t n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
			double t = now_sec();
			if (n <= 0)
				continue;
			std::string_view msg(buf, static_cast<std::size_t>(n));
			std::lock_guard guard(lock_);
			while (!msg.empty()) {
				auto nl = msg.find('\n');
				lines_.emplace_back(t, std::string(msg.substr(0, nl)));
				if (nl == std::string_view::npos)
					break;
				msg.remove_prefix(nl + 1);
			}
			if (lines_.size() > 10000)
				lines_.pop_front();
			cond_.notify_all();
		}
	}

	std::string path_;
	int fd_ = -1;
	std::atomic<bool> stop_{false};
	std::mutex lock_;
	std::condition_variable cond_;
	std::deque<std::pair<double, std::string>> lines_;
	std::thread reader_;
};

struct Daemon {
	pid_t pid = -1;
	std::string queue;
	double ready_sec = 0; // from spawn to READY=1
};

std::string new_queue_name()
{
	char name[64];
	std::snprintf(name, sizeof(name), "/fsbench-%d-%08llx", getpid(),
	              static_cast<unsigned long long>(random_u64() & 0xffffffffULL));
	return name;
}

void write_config(const Options &o, const WorkDir &w, const std::string &queue)
{
	json c = {{"root", w.root}, {"queue", queue}, {"log_level", o.log_level}};
	if (o.workers > 0)
		c["workers"] = o.workers;
	write_text(w.config, c.dump(2) + "\n");
}

Daemon start_daemon(const Options &o, const WorkDir &w, NotifySocket &notify)
{
	Daemon d;
	d.queue = new_queue_name();
	write_config(o, w, d.queue);
	std::vector<std::string> args{o.fileserverd, "--config", w.config};
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	std::vector<std::string> env_store;
	for (char **e = environ; *e; e++)
		if (!std::string_view(*e).starts_with("NOTIFY_SOCKET=") &&
		    !std::string_view(*e).starts_with("LISTEN_") &&
		    !std::string_view(*e).starts_with("WATCHDOG_"))
			env_store.emplace_back(*e);
	env_store.push_back("NOTIFY_SOCKET=" + w.notify_path);
	std::vector<char *> envp;
	for (auto &e : env_store)
		envp.push_back(e.data());
	envp.push_back(nullptr);

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, w.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	notify.flush();
	double t0 = now_sec();
	int r = posix_spawn(&d.pid, o.fileserverd.c_str(), &fa, nullptr, argv.data(), envp.data());
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		die(sys_error("spawn " + o.fileserverd, r));
	g_leftovers.daemon.store(d.pid);
	std::snprintf(g_leftovers.queue, sizeof(g_leftovers.queue), "%s", d.queue.c_str());
	auto ready = notify.wait_for("READY=1", d.pid, 30);
	if (!ready)
		die("fileserverd did not report READY=1; its log:\n" + read_text(w.log_path));
	d.ready_sec = *ready - t0;
	return d;
}

// Stops the daemon; its exit status (128 + signal if killed).
int stop_daemon(Daemon &d)
{
	if (d.pid <= 0)
		return 0;
	kill(d.pid, SIGTERM);
	int status = 0;
	double deadline = now_sec() + 30;
	while (waitpid(d.pid, &status, WNOHANG) == 0) {
		if (now_sec() > deadline) {
			std::fprintf(stderr,
			             "fileserver-bench: fileserverd ignored SIGTERM for 30 s; killing it\n");
			kill(d.pid, SIGKILL);
			waitpid(d.pid, &status, 0);
			break;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(2));
	}
	d.pid = -1;
	g_leftovers.daemon.store(-1);
	mq_unlink(d.queue.c_str()); // fileserverd leaves its queue behind by design
	g_leftovers.queue[0] = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Samples the daemon's VmRSS while a phase runs.
class RssSampler
{
public:
	explicit RssSampler(pid_t pid) : pid_(pid)
	{
		thread_ = std::thread([this] {
			while (!stop_.load()) {
				long kib = proc_status_kib(pid_, "VmRSS");
				long cur = peak_.load();
				if (kib > cur)
					peak_.store(kib);
				std::this_thread::sleep_for(std::chrono::milliseconds(20));
			}
		});
	}
	~RssSampler() { stop(); }
	RssSampler(const RssSampler &) = delete;
	RssSampler &operator=(const RssSampler &) = delete;

	long stop()
	{
		if (thread_.joinable()) {
			stop_.store(true);
			thread_.join();
		}
		return peak_.load();
	}

private:
	pid_t pid_;
	std::atomic<bool> stop_{false};
	std::atomic<long> peak_{-1};
	std::thread thread_;
};

// -- large file -------------------------------------------------------------------

// The ceiling: a plain loop that pread()s the file and mq_send()s it to a
// queue of the given size and depth, drained by another thread. Messages
// carry file bytes only (no 48-byte protocol header). Returns bytes/second.
double ceiling_run(const std::string &path, std::uint64_t size, long msgsize, long depth)
{
	char name[64];
	std::snprintf(name, sizeof(name), "/fsbench-ceiling-%d-%08llx", getpid(),
	              static_cast<unsigned long long>(random_u64() & 0xffffffffULL));
	struct mq_attr attr = {};
	attr.mq_maxmsg = depth;
	attr.mq_msgsize = msgsize;
	mqd_t rq = mq_open(name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
	if (rq == static_cast<mqd_t>(-1))
		die(sys_error("ceiling: create queue"));
	mqd_t wq = mq_open(name, O_WRONLY | O_CLOEXEC);
	if (wq == static_cast<mqd_t>(-1))
		die(sys_error("ceiling: open queue"));
	mq_unlink(name);
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(sys_error("ceiling: open " + path));

	std::uint64_t received = 0;
	double t0 = now_sec();
	std::thread drain([&] {
		std::vector<char> buf(static_cast<std::size_t>(msgsize));
		for (;;) {
			ssize_t n = mq_receive(rq, buf.data(), buf.size(), nullptr);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; // the zero-length message: end
			received += static_cast<std::uint64_t>(n);
		}
	});
	std::vector<char> buf(static_cast<std::size_t>(msgsize));
	for (std::uint64_t off = 0; off < size;) {
		std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - off));
		ssize_t n = pread(fd, buf.data(), want, static_cast<off_t>(off));
		if (n <= 0)
			die(sys_error("ceiling: pread"));
		if (mq_send(wq, buf.data(), static_cast<std::size_t>(n), 0) < 0)
			die(sys_error("ceiling: mq_send"));
		off += static_cast<std::uint64_t>(n);
	}
	mq_send(wq, buf.data(), 0, 0);
	drain.join();
	double secs = now_sec() - t0;
	close(fd);
	mq_close(wq);
	mq_close(rq);
	if (received != size)
		die("ceiling: received " + std::to_string(received) + " of " + std::to_string(size) +
		    " bytes");
	return static_cast<double>(size) / secs;
}

struct ClientRun {
	double rate = 0;
	std::uint32_t chunk_size = 0;
};

ClientRun client_run(const std::string &queue, const std::string &name, std::uint64_t size)
{
	Client client(ClientOptions{queue, std::chrono::milliseconds(10000)});
	ClientRun run;
	std::uint64_t received = 0;
	double t0 = now_sec();
	auto r = client.get(
	        name, 0, protocol::kToEnd, [&](const protocol::Meta &m) { run.chunk_size = m.chunk_size; },
	        [&](std::span<const std::uint8_t> data) {
		        received += data.size();
		        return 0;
	        });
	double secs = now_sec() - t0;
	if (!r.ok())
		die("large GET failed: " + r.message);
	if (received != size)
		die("large GET: received " + std::to_string(received) + " of " + std::to_string(size) +
		    " bytes");
	run.rate = static_cast<double>(size) / secs;
	return run;
}

json large_phase(const Options &o, const WorkDir &w, const Daemon &d)
{
	std::string path = w.root + "/" + w.large_name;
	warm_page_cache(path);
	ReplyQueueSize rq = preferred_reply_queue_size();
	std::vector<double> client_rates, ceiling_rates;
	std::uint32_t chunk = 0;
	RssSampler rss(d.pid);
	// Warm-up: one untimed GET of up to 64 MiB (faults in the daemon's pages).
	{
		Client warm(ClientOptions{d.queue, std::chrono::milliseconds(10000)});
		warm.get(w.large_name, 0, 64 << 20, {}, [](std::span<const std::uint8_t>) { return 0; });
	}
	double daemon_cpu = 0, client_cpu = 0, ceiling_cpu = 0;
	for (int i = 0; i < o.large_runs; i++) {
		// Alternated, so that drift (frequency, other load) hits both alike.
		double self0 = self_cpu_sec();
		ceiling_rates.push_back(ceiling_run(path, o.large_size, rq.message_size, rq.max_messages));
		ceiling_cpu += self_cpu_sec() - self0;
		double cpu0 = proc_cpu_sec(d.pid);
		self0 = self_cpu_sec();
		ClientRun c = client_run(d.queue, w.large_name, o.large_size);
		client_cpu += self_cpu_sec() - self0;
		daemon_cpu += proc_cpu_sec(d.pid) - cpu0;
		client_rates.push_back(c.rate);
		chunk = c.chunk_size;
	}
	long peak = rss.stop();
	if (chunk + protocol::kReplyHeaderSize != static_cast<std::size_t>(rq.message_size))
		std::fprintf(stderr,
		             "fileserver-bench: warning: the client's reply queue had messages of %zu bytes, "
		             "the ceiling %ld (budget short?)\n",
		             chunk + protocol::kReplyHeaderSize, rq.message_size);
	json j;
	j["size_bytes"] = o.large_size;
	j["runs"] = o.large_runs;
	j["message_size"] = rq.message_size;
	j["queue_depth"] = rq.max_messages;
	j["chunk_size"] = chunk;
	j["client_bytes_per_sec"] = client_rates;
	j["ceiling_bytes_per_sec"] = ceiling_rates;
	j["client_median"] = median(client_rates);
	j["ceiling_median"] = median(ceiling_rates);
	j["ratio"] = median(client_rates) / median(ceiling_rates);
	j["client_best"] = *std::max_element(client_rates.begin(), client_rates.end());
	j["ceiling_best"] = *std::max_element(ceiling_rates.begin(), ceiling_rates.end());
	j["ratio_of_best"] = j["client_best"].get<double>() / j["ceiling_best"].get<double>();
	// CPU seconds per GiB moved: the cost, whatever else runs on the machine.
	double gib = static_cast<double>(o.large_size) * o.large_runs / static_cast<double>(1ULL << 30);
	j["daemon_cpu_sec_per_gib"] = daemon_cpu / gib;
	j["client_cpu_sec_per_gib"] = client_cpu / gib;
	j["ceiling_cpu_sec_per_gib"] = ceiling_cpu / gib;
	j["loadavg_1min"] = load_average();
	j["daemon_peak_rss_kib"] = peak;
	return j;
}

// -- small files ------------------------------------------------------------------

struct ThreadStats {
	std::vector<double> latencies_usec;
	std::uint64_t ok = 0;
	std::uint64_t failed = 0;
	std::string first_error;
};

json small_level(const Options &o, const WorkDir &w, const Daemon &d, int clients)
{
	std::atomic<int> phase{0}; // 0 warm-up, 1 measuring, 2 stop
	std::vector<ThreadStats> stats(static_cast<std::size_t>(clients));
	std::vector<std::thread> threads;
	double measure_start = 0, measure_end = 0;
	std::atomic<double> start_at{0}, end_at{0};
	for (int t = 0; t < clients; t++)
		threads.emplace_back([&, t] {
			// Each client thread has a Client of its own: a client that stays up.
			Client client(ClientOptions{d.queue, std::chrono::milliseconds(10000)});
			ThreadStats &s = stats[static_cast<std::size_t>(t)];
			s.latencies_usec.reserve(static_cast<std::size_t>(o.duration * 100000 / clients) +
			                         1024);
			std::size_t next = static_cast<std::size_t>(t) * 7919;
			while (phase.load(std::memory_order_relaxed) != 2) {
				const std::string &name = w.small_names[next++ % w.small_names.size()];
				std::uint64_t received = 0;
				double t0 = now_sec();
				auto r = client.get(name, 0, protocol::kToEnd, {},
				                    [&](std::span<const std::uint8_t> data) {
					                    received += data.size();
					                    return 0;
				                    });
				double t1 = now_sec();
				if (t0 < start_at.load(std::memory_order_relaxed) || phase.load() != 1 ||
				    t1 > end_at.load(std::memory_order_relaxed))
					continue; // warm-up, or across the end of the window
				if (r.ok() && received == o.small_size) {
					s.ok++;
					s.latencies_usec.push_back((t1 - t0) * 1e6);
				} else {
					s.failed++;
					if (s.first_error.empty())
						s.first_error = r.ok() ? "short read" : r.message;
				}
			}
		});
	RssSampler rss(d.pid);
	double warmup = o.smoke ? 0.05 : std::min(1.0, o.duration / 5);
	std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
	double daemon_cpu0 = proc_cpu_sec(d.pid), self_cpu0 = self_cpu_sec();
	std::uint64_t daemon_cs0 = proc_context_switches(d.pid), self_cs0 = self_context_switches();
	measure_start = now_sec();
	measure_end = measure_start + o.duration;
	start_at.store(measure_start);
	end_at.store(measure_end);
	phase.store(1);
	std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
	phase.store(2);
	double daemon_cpu = proc_cpu_sec(d.pid) - daemon_cpu0, self_cpu = self_cpu_sec() - self_cpu0;
	auto daemon_cs = static_cast<double>(proc_context_switches(d.pid) - daemon_cs0);
	auto self_cs = static_cast<double>(self_context_switches() - self_cs0);
	for (auto &t : threads)
		t.join();
	long peak = rss.stop();

	std::vector<double> all;
	std::uint64_t ok = 0, failed = 0;
	std::string first_error;
	for (auto &s : stats) {
		all.insert(all.end(), s.latencies_usec.begin(), s.latencies_usec.end());
		ok += s.ok;
		failed += s.failed;
		if (first_error.empty())
			first_error = s.first_error;
	}
	json j;
	j["clients"] = clients;
	j["requests"] = ok;
	j["failed"] = failed;
	if (!first_error.empty())
		j["first_error"] = first_error;
	j["seconds"] = measure_end - measure_start;
	j["requests_per_sec"] = static_cast<double>(ok) / (measure_end - measure_start);
	j["p50_usec"] = percentile(all, 50);
	j["p99_usec"] = percentile(all, 99);
	j["p999_usec"] = percentile(all, 99.9);
	j["max_usec"] = all.empty() ? 0.0 : *std::max_element(all.begin(), all.end());
	// CPU per request: steadier than the rate on a machine with other load.
	double done = static_cast<double>(std::max<std::uint64_t>(ok + failed, 1));
	j["daemon_cpu_usec_per_request"] = daemon_cpu * 1e6 / done;
	j["client_cpu_usec_per_request"] = self_cpu * 1e6 / done;
	j["daemon_context_switches_per_request"] = daemon_cs / done;
	j["client_context_switches_per_request"] = self_cs / done;
	j["loadavg_1min"] = load_average();
	j["daemon_peak_rss_kib"] = peak;
	return j;
}

// -- the small-file floor ---------------------------------------------------------

// What the same exchange costs with nothing but the system calls it needs:
// per request the client creates a private reply queue (or, with
// @persistent_reply, reuses one), sends a request naming it and the file,
// and receives three messages of the sizes of META, DATA and END; a server
// thread (one per CPU at most, each blocking in mq_receive) opens the reply
// queue and the file, preads it and sends the three messages. No request
// decoding, path policy, dispatcher, worker hand-off or logging. This is not
// a ceiling the server could reach (it has to do those), but the part of
// the cost that the protocol and the kernel impose.
json floor_level(const Options &o, const WorkDir &w, int clients, bool persistent_reply)
{
	constexpr long kMsgSize = 8192, kDepth = 10;
	std::string server_name = "/fsbench-floor-" + std::to_string(getpid());
	struct mq_attr attr = {};
	attr.mq_maxmsg = kDepth;
	attr.mq_msgsize = kMsgSize;
	mq_unlink(server_name.c_str());
	mqd_t sq = mq_open(server_name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
	if (sq == static_cast<mqd_t>(-1))
		die(sys_error("floor: create server queue"));
	int root = open(w.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
	std::atomic<int> phase{0}; // 0 warm-up, 1 measuring, 2 stop
	std::atomic<double> start_at{0}, end_at{0};

	int nservers =
	        std::min<int>(clients, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
	std::vector<std::thread> servers;
	for (int i = 0; i < nservers; i++)
		servers.emplace_back([&] {
			std::vector<char> req(static_cast<std::size_t>(kMsgSize));
			std::vector<char> out(static_cast<std::size_t>(kMsgSize));
			for (;;) {
				ssize_t n = mq_receive(sq, req.data(), req.size(), nullptr);
				if (n <= 0)
					return; // a zero-length message: stop
				std::string_view msg(req.data(), static_cast<std::size_t>(n));
				auto nl = msg.find('\n');
				std::string qname(msg.substr(0, nl)), path(msg.substr(nl + 1));
				mqd_t rq = mq_open(qname.c_str(), O_WRONLY | O_CLOEXEC);
				if (rq == static_cast<mqd_t>(-1))
					continue;
				struct stat st;
				fstat(rq, &st);
				int fd = openat(root, path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
				fstat(fd, &st);
				mq_send(rq, out.data(), 48 + 56, 0); // META
				ssize_t got = pread(fd, out.data() + 48,
				                    static_cast<std::size_t>(kMsgSize - 48), 0);
				mq_send(rq, out.data(),
				        48 + static_cast<std::size_t>(std::max<ssize_t>(got, 0)), 0);
				mq_send(rq, out.data(), 48 + 8, 0); // END
				close(fd);
				mq_close(rq);
			}
		});

	std::vector<ThreadStats> stats(static_cast<std::size_t>(clients));
	std::vector<std::thread> threads;
	ReplyQueueSize rq_size = preferred_reply_queue_size();
	for (int t = 0; t < clients; t++)
		threads.emplace_back([&, t] {
			ThreadStats &s = stats[static_cast<std::size_t>(t)];
			std::vector<char> buf(static_cast<std::size_t>(rq_size.message_size));
			struct mq_attr ra = {};
			ra.mq_maxmsg = rq_size.max_messages;
			ra.mq_msgsize = rq_size.message_size;
			char qname[64];
			std::snprintf(qname, sizeof(qname), "/fsbench-floor-%d-%d", getpid(), t);
			mqd_t keep = static_cast<mqd_t>(-1);
			if (persistent_reply) {
				mq_unlink(qname);
				keep = mq_open(qname, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0622, &ra);
			}
			std::size_t next = static_cast<std::size_t>(t) * 7919;
			while (phase.load(std::memory_order_relaxed) != 2) {
				std::string msg = std::string(qname) + "\n" +
				                  w.small_names[next++ % w.small_names.size()];
				double t0 = now_sec();
				mqd_t q = keep;
				if (!persistent_reply) {
					// Over the budget (the server may still hold the last
					// queue open): a smaller queue, as the client does.
					ra.mq_maxmsg = rq_size.max_messages;
					for (;;) {
						q = mq_open(qname, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC,
						            0622, &ra);
						if (q != static_cast<mqd_t>(-1) ||
						    (errno != EMFILE && errno != ENOMEM) || ra.mq_maxmsg <= 2)
							break;
						ra.mq_maxmsg /= 2;
					}
					if (q != static_cast<mqd_t>(-1))
						fchmod(q, 0622);
				}
				bool ok = q != static_cast<mqd_t>(-1) &&
				          mq_send(sq, msg.data(), msg.size(), 0) == 0;
				std::uint64_t data = 0;
				for (int m = 0; ok && m < 3; m++) {
					ssize_t n = mq_receive(q, buf.data(), buf.size(), nullptr);
					ok = n >= 48;
					if (m == 1 && ok)
						data = static_cast<std::uint64_t>(n - 48);
					if (m == 0 && !persistent_reply)
						mq_unlink(qname); // after the first reply, as the client does
				}
				if (!persistent_reply && q != static_cast<mqd_t>(-1))
					mq_close(q);
				double t1 = now_sec();
				if (t0 < start_at.load(std::memory_order_relaxed) || phase.load() != 1 ||
				    t1 > end_at.load(std::memory_order_relaxed))
					continue;
				if (ok && data == o.small_size) {
					s.ok++;
					s.latencies_usec.push_back((t1 - t0) * 1e6);
				} else {
					s.failed++;
				}
			}
			if (persistent_reply) {
				mq_close(keep);
				mq_unlink(qname);
			}
		});
	double warmup = o.smoke ? 0.05 : std::min(1.0, o.duration / 5);
	std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
	double cpu0 = self_cpu_sec();
	double t_start = now_sec();
	start_at.store(t_start);
	end_at.store(t_start + o.duration);
	phase.store(1);
	std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
	phase.store(2);
	double cpu = self_cpu_sec() - cpu0;
	for (auto &t : threads)
		t.join();
	for (int i = 0; i < nservers; i++)
		mq_send(sq, "", 0, 0);
	for (auto &t : servers)
		t.join();
	mq_close(sq);
	mq_unlink(server_name.c_str());
	close(root);

	std::vector<double> all;
	std::uint64_t ok = 0, failed = 0;
	for (auto &s : stats) {
		all.insert(all.end(), s.latencies_usec.begin(), s.latencies_usec.end());
		ok += s.ok;
		failed += s.failed;
	}
	json j;
	j["clients"] = clients;
	j["server_threads"] = nservers;
	j["persistent_reply_queue"] = persistent_reply;
	j["requests"] = ok;
	j["failed"] = failed;
	j["requests_per_sec"] = static_cast<double>(ok) / o.duration;
	j["p50_usec"] = percentile(all, 50);
	j["p99_usec"] = percentile(all, 99);
	j["cpu_usec_per_request"] = cpu * 1e6 / static_cast<double>(std::max<std::uint64_t>(ok + failed, 1));
	return j;
}

// -- start and reload -----------------------------------------------------------------

json reload_phase(const Options &o, const Daemon &d, NotifySocket &notify)
{
	std::vector<double> total, reloading_to_ready;
	for (int i = 0; i < o.reloads; i++) {
		notify.flush();
		double t0 = now_sec();
		kill(d.pid, SIGHUP);
		auto reloading = notify.wait_for("RELOADING=1", d.pid, 10);
		if (!reloading)
			die("no RELOADING=1 after SIGHUP");
		auto ready = notify.wait_for("READY=1", d.pid, 10);
		if (!ready)
			die("no READY=1 after RELOADING=1");
		total.push_back((*ready - t0) * 1e3);
		reloading_to_ready.push_back((*ready - *reloading) * 1e3);
	}
	json j;
	j["runs"] = o.reloads;
	j["sighup_to_ready_ms"] = total;
	j["reloading_to_ready_ms"] = reloading_to_ready;
	j["median_ms"] = median(total);
	j["max_ms"] = total.empty() ? 0.0 : *std::max_element(total.begin(), total.end());
	return j;
}

// -- report -------------------------------------------------------------------------

std::string human_rate(double bytes_per_sec)
{
	return format_num("%.2f GB/s", bytes_per_sec / 1e9);
}

std::string verdict(bool met)
{
	return met ? "met" : "MISSED";
}

void print_row(const std::string &what, const std::string &value, const std::string &target = "",
               const std::string &status = "")
{
	std::printf("  %-44s %-22s %-14s %s\n", what.c_str(), value.c_str(), target.c_str(), status.c_str());
}

void print_report(const json &r)
{
	const json &m = r["machine"];
	std::printf("\nfileserver-bench%s\n",
	            r["smoke"].get<bool>() ? " (SMOKE RUN: tiny sizes, numbers mean nothing)" : "");
	std::printf("machine: %u CPUs, %s at %s MHz%s, %s\n", m["nproc"].get<unsigned>(),
	            m["cpu_model"].get<std::string>().c_str(), m["cpu_mhz"].get<std::string>().c_str(),
	            m["virtual_machine"].get<bool>() ? " (virtual machine)" : "",
	            m["kernel"].get<std::string>().c_str());
	std::printf("mqueue: msgsize_max %ld, msg_max %ld, RLIMIT_MSGQUEUE %ld%s; build: %s\n",
	            m["mqueue_msgsize_max"].get<long>(), m["mqueue_msg_max"].get<long>(),
	            m["rlimit_msgqueue"].get<long>(),
	            r["ipc_namespace"].get<bool>() ? " (private IPC namespace)" : "",
	            m["build"].get<std::string>().c_str());
	std::printf("load average (1 min) at start: %.2f; other load on the machine skews rates, not CPU per "
	            "request\n",
	            r["loadavg_1min_at_start"].get<double>());
	std::printf("server: fileserverd, workers %s, log level %s%s; clients run as uid %ld\n\n",
	            r["workers"].get<std::string>().c_str(), r["log_level"].get<std::string>().c_str(),
	            r["log_level"] == "info" || r["log_level"] == "debug" || r["log_level"] == "trace"
	                    ? ""
	                    : " (per-request info logging OFF)",
	            r["uid"].get<long>());
	print_row("metric", "value", "target", "status");
	if (r.contains("start")) {
		const json &s = r["start"];
		print_row("start to READY=1 (median of " + std::to_string(s["runs"].get<int>()) + ")",
		          format_num("%.1f ms", s["median_ms"]) + format_num(" (max %.1f)", s["max_ms"]));
		print_row("first PING after READY", format_num("%.0f us", s["first_ping_usec"]));
	}
	if (r.contains("memory")) {
		const json &mem = r["memory"];
		long idle = mem["idle_rss_kib"];
		print_row("RSS idle", format_num("%.2f MiB", static_cast<double>(idle) / 1024), "<= 8 MiB",
		          verdict(idle <= 8 * 1024));
	}
	if (r.contains("reload")) {
		const json &s = r["reload"];
		print_row("reload: SIGHUP to READY=1 (median of " + std::to_string(s["runs"].get<int>()) +
		                  ")",
		          format_num("%.2f ms", s["median_ms"]) + format_num(" (max %.2f)", s["max_ms"]));
	}
	if (r.contains("large")) {
		const json &l = r["large"];
		std::string size = format_num(
		        "%.0f MiB", static_cast<double>(l["size_bytes"].get<std::uint64_t>()) / 1048576);
		std::string q = std::to_string(l["queue_depth"].get<long>()) + " x " +
		                std::to_string(l["message_size"].get<long>()) + " B";
		print_row("large file " + size + ", client (median of " +
		                  std::to_string(l["runs"].get<int>()) + ")",
		          human_rate(l["client_median"]));
		print_row("mqueue ceiling, " + q, human_rate(l["ceiling_median"]));
		double ratio = l["ratio"];
		print_row("  client / ceiling (medians)", format_num("%.1f %%", ratio * 100), ">= 90 %",
		          verdict(ratio >= 0.9));
		print_row("  client / ceiling (best runs)",
		          format_num("%.1f %%", l["ratio_of_best"].get<double>() * 100) + " (" +
		                  human_rate(l["client_best"]) + " / " + human_rate(l["ceiling_best"]) + ")");
		print_row("  CPU s/GiB: daemon + client / ceiling",
		          format_num("%.2f", l["daemon_cpu_sec_per_gib"]) +
		                  format_num(" + %.2f", l["client_cpu_sec_per_gib"]) +
		                  format_num(" / %.2f", l["ceiling_cpu_sec_per_gib"]));
		print_row("  RSS peak during large GETs",
		          format_num("%.2f MiB",
		                     static_cast<double>(l["daemon_peak_rss_kib"].get<long>()) / 1024));
	}
	if (r.contains("small")) {
		for (const json &s : r["small"]) {
			int c = s["clients"];
			std::string who = std::to_string(c) + (c == 1 ? " client" : " clients");
			std::string size = std::to_string(r["small_size"].get<std::uint64_t>()) + " B";
			double rps = s["requests_per_sec"];
			std::string target, status;
			if (c == 1 || c == 8) {
				double want = c == 1 ? 30000 : 80000;
				target = format_num(">= %.0f/s", want);
				status = verdict(rps >= want);
			}
			print_row("small " + size + " GETs, " + who, format_num("%.0f req/s", rps), target,
			          status);
			double p99 = s["p99_usec"];
			print_row("  p50 / p99 latency",
			          format_num("%.0f us", s["p50_usec"]) + format_num(" / %.0f us", p99),
			          "p99 <= 1 ms", verdict(p99 <= 1000));
			print_row("  CPU per request: daemon / clients",
			          format_num("%.1f us", s["daemon_cpu_usec_per_request"]) +
			                  format_num(" / %.1f us", s["client_cpu_usec_per_request"]));
			print_row("  context switches per request: daemon / clients",
			          format_num("%.2f", s["daemon_context_switches_per_request"]) +
			                  format_num(" / %.2f", s["client_context_switches_per_request"]));
			if (s["failed"].get<std::uint64_t>() > 0)
				print_row("  FAILED requests",
				          std::to_string(s["failed"].get<std::uint64_t>()) + ": " +
				                  s.value("first_error", std::string()));
			print_row(
			        "  RSS peak",
			        format_num("%.2f MiB",
			                   static_cast<double>(s["daemon_peak_rss_kib"].get<long>()) / 1024));
		}
	}
	if (r.contains("floor")) {
		for (const json &s : r["floor"]) {
			int c = s["clients"];
			std::string who = std::to_string(c) + (c == 1 ? " client" : " clients");
			bool kept = s["persistent_reply_queue"];
			print_row(
			        std::string(kept ? "  same, reply queue kept, " : "floor: plain mq loop, ") +
			                who,
			        format_num("%.0f req/s", s["requests_per_sec"]) +
			                format_num(", p99 %.0f us", s["p99_usec"]));
		}
	}
	if (r.contains("memory")) {
		const json &mem = r["memory"];
		print_row(
		        "RSS high-water mark (VmHWM) at the end",
		        format_num("%.2f MiB", static_cast<double>(mem["final_hwm_kib"].get<long>()) / 1024));
	}
	std::printf("\n");
}

} // namespace

int main(int argc, char **argv)
{
	Options o = parse_options(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (access(o.fileserverd.c_str(), X_OK) < 0)
		die(sys_error(o.fileserverd));

	// Opened now: after a switch to another uid, the path may not be writable.
	FILE *json_out = std::fopen(o.json_path.c_str(), "we");
	if (!json_out)
		die(sys_error(o.json_path));

	bool ipc_ns = o.msgsize > 0;
	if (ipc_ns)
		enter_ipc_namespace(o.msgsize, o.msg_max);

	WorkDir w = make_work_dir(o);
	std::snprintf(g_leftovers.work_dir, sizeof(g_leftovers.work_dir), "%s", w.top.c_str());
	g_leftovers.keep_work_dir = o.keep;
	uid_t uid = geteuid();
	bool own_budget = false; // a uid nothing else uses: its mqueue budget is ours
	if (!o.same_uid) {
		uid_t private_uid = pick_private_uid(o.fileserverd);
		if (private_uid) {
			chown_tree(w.top, private_uid);
			become(private_uid);
			uid = private_uid;
			own_budget = true;
		} else if (geteuid() == 0) {
			std::fprintf(stderr, "fileserver-bench: cannot run the daemon under an unused uid; "
			                     "sharing root's mqueue budget\n");
		}
	}
	if (o.smoke && !own_budget) {
		// Sharing a uid's mqueue budget with whatever else runs (tests in
		// parallel): eight reply queues would take most of it.
		std::erase_if(o.concurrency, [](int c) { return c > 2; });
	}

	json r;
	r["smoke"] = o.smoke;
	r["machine"] = machine_info();
	r["loadavg_1min_at_start"] = load_average();
	r["ipc_namespace"] = ipc_ns;
	r["uid"] = static_cast<long>(uid);
	r["private_uid"] = own_budget;
	r["log_level"] = o.log_level;
	r["workers"] = o.workers > 0 ? std::to_string(o.workers) : std::string("default (4)");
	r["small_size"] = o.small_size;
	r["fileserverd"] = o.fileserverd;
	ReplyQueueSize rq = preferred_reply_queue_size();
	r["reply_queue"] = {{"message_size", rq.message_size}, {"depth", rq.max_messages}};
	std::printf("fileserver-bench: server log level '%s'%s, reply queues %ld x %ld bytes, work dir %s\n",
	            o.log_level.c_str(), o.log_level == "info" ? "" : " (per-request logging off)",
	            rq.max_messages, rq.message_size, w.top.c_str());
	std::fflush(stdout);

	NotifySocket notify(w.notify_path);
	Daemon d;
	{
		// Every start but the last is stopped again; the last one serves the run.
		int starts = has_phase(o, "start") ? o.starts : 1;
		std::vector<double> ms;
		for (int i = 0; i < starts; i++) {
			d = start_daemon(o, w, notify);
			ms.push_back(d.ready_sec * 1e3);
			if (i + 1 < starts && stop_daemon(d) != 0)
				die("fileserverd did not exit cleanly; its log:\n" + read_text(w.log_path));
		}
		Client client(ClientOptions{d.queue, std::chrono::milliseconds(10000)});
		PingInfo ping;
		auto pr = client.ping(ping);
		if (!pr.ok())
			die("PING after READY=1 failed: " + pr.message);
		if (has_phase(o, "start"))
			r["start"] = {{"runs", starts},
			              {"ready_ms", ms},
			              {"median_ms", median(ms)},
			              {"max_ms", *std::max_element(ms.begin(), ms.end())},
			              {"first_ping_usec", static_cast<double>(ping.round_trip.count())}};
	}
	std::this_thread::sleep_for(std::chrono::milliseconds(o.smoke ? 20 : 300));
	json mem;
	mem["idle_rss_kib"] = proc_status_kib(d.pid, "VmRSS");
	mem["idle_threads"] = proc_status_kib(d.pid, "Threads");

	if (has_phase(o, "reload") && o.reloads > 0) {
		std::printf("fileserver-bench: reload ...\n");
		std::fflush(stdout);
		r["reload"] = reload_phase(o, d, notify);
	}
	if (has_phase(o, "large")) {
		std::printf("fileserver-bench: large file ...\n");
		std::fflush(stdout);
		r["large"] = large_phase(o, w, d);
	}
	if (has_phase(o, "small")) {
		r["small"] = json::array();
		for (int c : o.concurrency) {
			std::printf("fileserver-bench: small files, %d client(s) ...\n", c);
			std::fflush(stdout);
			r["small"].push_back(small_level(o, w, d, c));
		}
	}
	mem["after_load_rss_kib"] = proc_status_kib(d.pid, "VmRSS");
	mem["final_hwm_kib"] = proc_status_kib(d.pid, "VmHWM");
	r["memory"] = mem;
	int exit_status = stop_daemon(d);
	r["daemon_exit_status"] = exit_status;
	if (exit_status != 0)
		std::fprintf(stderr, "fileserver-bench: fileserverd exited with status %d; its log:\n%s\n",
		             exit_status, read_text(w.log_path).c_str());
	// After the daemon: its queue would not leave room in the mqueue budget.
	if (has_phase(o, "floor")) {
		r["floor"] = json::array();
		for (int c : o.concurrency)
			for (bool persistent : {false, true}) {
				std::printf("fileserver-bench: small-file floor (plain mqueue loop%s), %d "
				            "client(s) ...\n",
				            persistent ? ", persistent reply queues" : "", c);
				std::fflush(stdout);
				r["floor"].push_back(floor_level(o, w, c, persistent));
			}
	}

	print_report(r);
	std::string text = r.dump(2) + "\n";
	std::fwrite(text.data(), 1, text.size(), json_out);
	std::fclose(json_out);
	std::printf("results written to %s\n", o.json_path.c_str());

	if (!o.keep)
		std::filesystem::remove_all(w.top);
	else
		std::printf("work directory kept: %s\n", w.top.c_str());

	if (exit_status != 0)
		return 1;
	// Any failed request makes the run fail: numbers over errors mean nothing.
	if (r.contains("small"))
		for (const json &s : r["small"])
			if (s["failed"].get<std::uint64_t>() > 0 || s["requests"].get<std::uint64_t>() == 0)
				return 1;
	return 0;
}
