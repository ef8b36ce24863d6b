// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "util/unique-fd.h"

namespace fileserver::bench {

// The receiving end of NOTIFY_SOCKET. A thread reads it all the time: a
// daemon whose sd_notify() finds the socket's queue full blocks in it.
class NotifySocket
{
public:
	// Binds @path; dies if it cannot.
	explicit NotifySocket(const std::string &path);
	~NotifySocket();
	NotifySocket(const NotifySocket &) = delete;
	NotifySocket &operator=(const NotifySocket &) = delete;

	// Waits for a datagram with the line @want, received since the last
	// flush() or wait_for(); the monotonic time it came at, or nullopt
	// after @timeout_sec or if @pid exits.
	std::optional<double> wait_for(std::string_view want, pid_t pid, double timeout_sec);

	// Forgets what came so far (STATUS= updates).
	void flush();

private:
	void read_loop();

	std::string path_;
	UniqueFD fd_;
	std::atomic<bool> stop_{false};
	std::mutex lock_;
	std::condition_variable cond_;
	std::deque<std::pair<double, std::string>> lines_;
	std::thread reader_;
};

} // namespace fileserver::bench
