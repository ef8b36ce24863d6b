// SPDX-License-Identifier: MIT
#include "stalled-clients.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <new>
#include <thread>

#include "client-calls.h"
#include "fail.h"
#include "isolation.h"
#include "proc-stats.h"

namespace fileserver::bench {

struct StallSlot {
	std::atomic<double> stopped_at{0};           // set just before the client stops itself
	std::atomic<long> depth{0}, message_size{0}; // its reply queue
	char error[200] = {};                        // how its GET failed
};

namespace {

// A client's exit status: how its GET ended (it never does while stopped).
constexpr int kRefusedBusy = 2, kFailed = 3, kCompleted = 4, kNoUid = 5;

void set_error(char (&to)[200], const std::string &why)
{
	std::snprintf(to, sizeof(to), "%s", why.c_str());
}

// The client process: its GET, stopped at the first DATA. Never returns.
[[noreturn]] void run_stalled_client(pid_t parent, uid_t uid, const std::string &queue,
                                     const std::string &name, long depth, StallSlot &slot)
{
	if (int e = start_client_process(parent, uid); e < 0) {
		set_error(slot.error, sys_error("cannot switch to the client's uid", -e));
		_exit(kNoUid);
	}
	// The client library sizes its reply queue by a quarter of the budget:
	// this budget gives @depth messages.
	ReplyQueueShape host = reply_queue_shape();
	struct rlimit rl = {};
	getrlimit(RLIMIT_MSGQUEUE, &rl);
	rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, static_cast<rlim_t>(4 * depth * host.message_size));
	setrlimit(RLIMIT_MSGQUEUE, &rl);
	ReplyQueueShape shape = reply_queue_shape();
	slot.depth.store(shape.depth);
	slot.message_size.store(shape.message_size);

	BenchClient client(queue);
	auto r = client.get(name, protocol::kToEnd, [&slot](std::uint64_t) {
		if (slot.stopped_at.load() == 0) {
			slot.stopped_at.store(now_sec());
			raise(SIGSTOP);
		}
	});
	if (r.ok())
		_exit(kCompleted);
	set_error(slot.error, r.error().why);
	_exit(r.error().code == EBUSY ? kRefusedBusy : kFailed);
}

} // namespace

StalledClients::StalledClients(int clients, const std::string &queue, const std::string &name, long depth)
        : count_(static_cast<std::size_t>(clients))
{
	void *mem = mmap(nullptr, sizeof(StallSlot) * count_, PROT_READ | PROT_WRITE,
	                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die(sys_error("mmap"));
	slots_ = static_cast<StallSlot *>(mem);
	for (std::size_t i = 0; i < count_; i++)
		new (&slots_[i]) StallSlot();
	pid_t parent = getpid();
	for (std::size_t i = 0; i < count_; i++) {
		pid_t pid = fork();
		if (pid < 0)
			die(sys_error("fork (stalled client " + std::to_string(i) + ")"));
		if (pid == 0)
			run_stalled_client(parent, client_uid(static_cast<int>(i)), queue, name, depth,
			                   slots_[i]);
		pids_.push_back(pid);
		states_.push_back(State::kRunning);
		exit_codes_.push_back(0);
	}
}

StalledClients::~StalledClients()
{
	kill_all();
	munmap(slots_, sizeof(StallSlot) * count_);
}

void StalledClients::record(std::size_t i, int status)
{
	if (WIFSTOPPED(status)) {
		states_[i] =
		        slots_[i].stopped_at.load() > 0 ? State::kStoppedWithData : State::kStoppedBeforeData;
	} else {
		states_[i] = State::kExited;
		exit_codes_[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}

void StalledClients::wait_stopped(double quiet, double limit)
{
	double start = now_sec(), last_change = start;
	for (;;) {
		bool running = false;
		for (std::size_t i = 0; i < count_; i++) {
			if (states_[i] != State::kRunning)
				continue;
			int status = 0;
			if (waitpid(pids_[i], &status, WUNTRACED | WNOHANG) == pids_[i]) {
				record(i, status);
				last_change = now_sec();
			} else {
				running = true;
			}
		}
		double now = now_sec();
		if (!running || now - last_change > quiet || now - start > limit)
			break;
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
	// Still waiting for their server (in its backlog, or refused and not yet told).
	for (std::size_t i = 0; i < count_; i++) {
		if (states_[i] != State::kRunning)
			continue;
		kill(pids_[i], SIGSTOP);
		int status = 0;
		if (waitpid(pids_[i], &status, WUNTRACED) == pids_[i])
			record(i, status);
	}
}

double StalledClients::kill_all()
{
	double t0 = now_sec();
	for (pid_t pid : pids_)
		kill(pid, SIGKILL);
	for (pid_t pid : pids_)
		while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
		}
	pids_.clear();
	return now_sec() - t0;
}

double StalledClients::first_stop() const
{
	double t = 0;
	for (std::size_t i = 0; i < count_; i++)
		if (states_[i] == State::kStoppedWithData && (t == 0 || slots_[i].stopped_at.load() < t))
			t = slots_[i].stopped_at.load();
	return t;
}

double StalledClients::last_stop() const
{
	double t = 0;
	for (std::size_t i = 0; i < count_; i++)
		if (states_[i] == State::kStoppedWithData)
			t = std::max(t, slots_[i].stopped_at.load());
	return t;
}

int StalledClients::stopped_with_data() const
{
	return static_cast<int>(std::count(states_.begin(), states_.end(), State::kStoppedWithData));
}

nlohmann::json StalledClients::summary() const
{
	int with_data = 0, before_data = 0, busy = 0, failed = 0, completed = 0;
	std::string first_error;
	for (std::size_t i = 0; i < count_; i++) {
		switch (states_[i]) {
		case State::kStoppedWithData: with_data++; break;
		case State::kStoppedBeforeData:
		case State::kRunning: before_data++; break;
		case State::kExited:
			if (exit_codes_[i] == kRefusedBusy)
				busy++;
			else if (exit_codes_[i] == kCompleted)
				completed++;
			else
				failed++;
			if (first_error.empty() && exit_codes_[i] != kCompleted)
				first_error = slots_[i].error[0]
				                      ? slots_[i].error
				                      : "exit status " + std::to_string(exit_codes_[i]);
			break;
		}
	}
	nlohmann::json j = {{"stopped_with_data", with_data},
	                    {"stopped_before_data", before_data},
	                    {"refused_busy", busy},
	                    {"failed", failed},
	                    {"completed", completed},
	                    {"reply_queue_depth", slots_[0].depth.load()},
	                    {"reply_queue_message_size", slots_[0].message_size.load()}};
	if (!first_error.empty())
		j["first_error"] = first_error;
	return j;
}

} // namespace fileserver::bench
