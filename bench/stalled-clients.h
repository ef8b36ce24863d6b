// SPDX-License-Identifier: MIT
#pragma once

// The stalled clients of the stalled-clients phase: processes, each under a
// uid of its own (client_uid(0), client_uid(1), ...) with a session of its
// own and a small reply queue, that start a GET of a large file and stop
// themselves (SIGSTOP) once its first DATA has come: alive, holding their
// session and reply queue, and reading nothing more, like a client piping
// into something that stopped reading.

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fileserver::bench {

struct StallSlot; // what a client tells the benchmark, in shared memory

class StalledClients
{
public:
	// Forks @clients processes that GET @name from the daemon at @queue,
	// each with a reply queue of @depth messages (its RLIMIT_MSGQUEUE set
	// so that the client library picks that depth).
	StalledClients(int clients, const std::string &queue, const std::string &name, long depth);
	~StalledClients(); // kill_all()
	StalledClients(const StalledClients &) = delete;
	StalledClients &operator=(const StalledClients &) = delete;

	// Waits until every client has stopped or ended, or none did for
	// @quiet seconds, or @limit seconds went by; then stops the rest,
	// which never saw data (SIGSTOP: they wait for their server still).
	void wait_stopped(double quiet, double limit);
	// SIGKILL and reap every client; the seconds that took.
	double kill_all();

	// The monotonic times at which the first and the last client stopped
	// after its first DATA (0 if none did).
	[[nodiscard]] double first_stop() const;
	[[nodiscard]] double last_stop() const;
	[[nodiscard]] int stopped_with_data() const;
	// How each client ended up, the reply queue they had, the first error.
	[[nodiscard]] nlohmann::json summary() const;

private:
	enum class State {
		kRunning,
		kStoppedWithData,
		kStoppedBeforeData,
		kExited
	};
	void record(std::size_t i, int status);

	StallSlot *slots_ = nullptr; // a shared anonymous mapping, one per client
	std::size_t count_ = 0;
	std::vector<pid_t> pids_;
	std::vector<State> states_;
	std::vector<int> exit_codes_;
};

} // namespace fileserver::bench
