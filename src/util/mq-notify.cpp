// SPDX-License-Identifier: MIT
#include "mq-notify.h"

#include <cerrno>

#if defined(__SANITIZE_THREAD__)
#define FILESERVER_OWN_NOTIFY_THREAD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FILESERVER_OWN_NOTIFY_THREAD 1
#endif
#endif

#ifdef FILESERVER_OWN_NOTIFY_THREAD
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <thread>
#endif

namespace fileserver {

#ifdef FILESERVER_OWN_NOTIFY_THREAD

namespace {

// The kernel copies this many bytes from sigev_value.sival_ptr at
// registration and sends them back on the netlink socket, with the last
// byte set to 1 (woken up) or 2 (registration removed).
constexpr std::size_t kCookieSize = 32;
constexpr unsigned char kWokenUp = 1;

struct Cookie {
	void (*fn)(union sigval);
	union sigval value;
};
static_assert(sizeof(Cookie) < kCookieSize);

int notify_socket()
{
	static int sock = -1;
	static std::once_flag once;
	std::call_once(once, [] {
		sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (sock < 0)
			return;
		std::thread([] {
			unsigned char buf[kCookieSize];
			for (;;) {
				ssize_t n = recv(sock, buf, sizeof(buf), MSG_NOSIGNAL | MSG_WAITALL);
				if (n < 0 && errno == EINTR)
					continue;
				if (n != static_cast<ssize_t>(kCookieSize))
					continue;
				if (buf[kCookieSize - 1] != kWokenUp)
					continue;
				Cookie c;
				std::memcpy(&c, buf, sizeof(c));
				std::thread(c.fn, c.value).detach();
			}
		}).detach();
	});
	return sock;
}

} // namespace

int notify_on_thread(mqd_t mqd, void (*fn)(union sigval), union sigval value)
{
	int sock = notify_socket();
	if (sock < 0)
		return -ENOSYS;
	unsigned char cookie[kCookieSize] = {};
	Cookie c{fn, value};
	std::memcpy(cookie, &c, sizeof(c));
	struct sigevent sev = {};
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_signo = sock;
	sev.sigev_value.sival_ptr = cookie;
	if (syscall(SYS_mq_notify, mqd, &sev) < 0)
		return -errno;
	return 0;
}

#else

int notify_on_thread(mqd_t mqd, void (*fn)(union sigval), union sigval value)
{
	struct sigevent sev = {};
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = fn;
	sev.sigev_value = value;
	if (mq_notify(mqd, &sev) < 0)
		return -errno;
	return 0;
}

#endif

void notify_cancel(mqd_t mqd)
{
	mq_notify(mqd, nullptr);
}

} // namespace fileserver
