// SPDX-License-Identifier: MIT
#include "client-processes.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <new>
#include <string>

#include "fail.h"
#include "isolation.h"
#include "text-file.h"
#include "util/io.h"
#include "util/unique-fd.h"

namespace fileserver::bench {

namespace {

template<typename T>
void put(std::string &out, const T &v)
{
	out.append(reinterpret_cast<const char *>(&v), sizeof(v));
}

// The counts as bytes: the two ends are the same program.
std::string serialize(const ThreadStats &s)
{
	std::string out;
	put(out, s.ok);
	put(out, s.failed);
	put(out, s.cpu_sec);
	put(out, s.context_switches);
	put(out, s.first_error.size());
	out += s.first_error;
	put(out, s.latencies_usec.size());
	out.append(reinterpret_cast<const char *>(s.latencies_usec.data()),
	           s.latencies_usec.size() * sizeof(double));
	return out;
}

class Reader
{
public:
	explicit Reader(std::string bytes) : bytes_(std::move(bytes)) {}
	template<typename T>
	bool get(T &v)
	{
		return take(&v, sizeof(v));
	}
	bool take(void *to, std::size_t n)
	{
		if (bytes_.size() - pos_ < n)
			return false;
		std::memcpy(to, bytes_.data() + pos_, n);
		pos_ += n;
		return true;
	}

private:
	std::string bytes_;
	std::size_t pos_ = 0;
};

bool deserialize(std::string bytes, ThreadStats &s)
{
	Reader r(std::move(bytes));
	std::size_t n = 0;
	if (!r.get(s.ok) || !r.get(s.failed) || !r.get(s.cpu_sec) || !r.get(s.context_switches) ||
	    !r.get(n) || n > 4096)
		return false;
	s.first_error.resize(n);
	if (!r.take(s.first_error.data(), n) || !r.get(n))
		return false;
	s.latencies_usec.resize(n);
	return r.take(s.latencies_usec.data(), n * sizeof(double));
}

} // namespace

ClientProcesses::ClientProcesses(int clients, const Body &body, int first_uid)
{
	void *mem = mmap(nullptr, sizeof(MeasureWindow), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	                 -1, 0);
	if (mem == MAP_FAILED)
		die(sys_error("mmap"));
	// Its atomics are lock-free: they work across processes.
	window_ = new (mem) MeasureWindow();
	pid_t parent = getpid();
	for (int t = 0; t < clients; t++) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) < 0)
			die(sys_error("pipe"));
		UniqueFD read_end(fds[0]), write_end(fds[1]);
		pid_t pid = fork();
		if (pid < 0)
			die(sys_error("fork"));
		if (pid == 0) {
			read_end.reset();
			ThreadStats stats;
			if (int e = start_client_process(parent, client_uid(first_uid + t)); e < 0) {
				stats.failed = 1;
				stats.first_error =
				        "cannot switch to the client's uid: " + std::string(strerror(-e));
			} else {
				body(t, *window_, stats);
			}
			stats.stop_usage();
			_exit(write_all(write_end.get(), serialize(stats)) == 0 ? 0 : 1);
		}
		pids_.push_back(pid);
		pipes_.push_back(std::move(read_end));
	}
}

ClientProcesses::~ClientProcesses()
{
	for (pid_t pid : pids_) {
		kill(pid, SIGKILL);
		waitpid(pid, nullptr, 0);
	}
	window_->~MeasureWindow();
	munmap(window_, sizeof(MeasureWindow));
}

std::vector<ThreadStats> ClientProcesses::collect()
{
	std::vector<ThreadStats> out(pids_.size());
	for (std::size_t i = 0; i < pids_.size(); i++) {
		std::string bytes = read_fd(pipes_[i].get());
		int status = 0;
		waitpid(pids_[i], &status, 0);
		if (!deserialize(std::move(bytes), out[i]) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("client process " + std::to_string(i) + " ended without its counts");
	}
	pids_.clear();
	pipes_.clear();
	return out;
}

} // namespace fileserver::bench
