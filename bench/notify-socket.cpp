// SPDX-License-Identifier: MIT
#include "notify-socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "fail.h"
#include "proc-stats.h"

namespace fileserver::bench {

NotifySocket::NotifySocket(const std::string &path) : path_(path)
{
	fd_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!fd_)
		die(sys_error("socket(AF_UNIX)"));
	struct sockaddr_un sa = {};
	sa.sun_family = AF_UNIX;
	if (path.size() >= sizeof(sa.sun_path))
		die("notify socket path too long: " + path);
	std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
	unlink(path.c_str());
	if (bind(fd_.get(), reinterpret_cast<struct sockaddr *>(&sa), sizeof(sa)) < 0)
		die(sys_error("bind " + path));
	reader_ = std::thread([this] { read_loop(); });
}

NotifySocket::~NotifySocket()
{
	stop_.store(true);
	reader_.join();
	unlink(path_.c_str());
}

std::optional<double> NotifySocket::wait_for(std::string_view want, pid_t pid, double timeout_sec)
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

void NotifySocket::flush()
{
	std::lock_guard guard(lock_);
	lines_.clear();
}

void NotifySocket::read_loop()
{
	while (!stop_.load()) {
		struct pollfd p = {fd_.get(), POLLIN, 0};
		if (poll(&p, 1, 20) <= 0)
			continue;
		char buf[4096];
		ssize_t n = recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT);
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

} // namespace fileserver::bench
