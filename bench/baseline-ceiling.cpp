// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <thread>
#include <vector>

#include "baselines.h"
#include "fail.h"
#include "proc-stats.h"
#include "util/mqueue.h"
#include "util/random.h"
#include "util/unique-fd.h"

namespace fileserver::bench {

double ceiling_run(const std::string &path, std::uint64_t size, long msgsize, long depth)
{
	char name[64];
	std::snprintf(name, sizeof(name), "/fsbench-ceiling-%d-%08llx", getpid(),
	              static_cast<unsigned long long>(random_u64() & 0xffffffffULL));
	MessageQueue rq, wq;
	int r = MessageQueue::create(name, O_RDONLY, 0600, depth, msgsize, rq);
	if (r < 0)
		die(sys_error("ceiling: create queue", r));
	r = MessageQueue::open(name, O_WRONLY, wq);
	mq_unlink(name);
	if (r < 0)
		die(sys_error("ceiling: open queue", r));
	UniqueFD fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		die(sys_error("ceiling: open " + path));

	// Plain mq_send()/mq_receive(): the wrappers' deadlines cost a clock
	// read per message, which the ceiling must not pay.
	std::uint64_t received = 0;
	double t0 = now_sec();
	std::thread drain([&] {
		std::vector<char> buf(static_cast<std::size_t>(msgsize));
		for (;;) {
			ssize_t n = mq_receive(rq.get(), buf.data(), buf.size(), nullptr);
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
		ssize_t n = pread(fd.get(), buf.data(), want, static_cast<off_t>(off));
		if (n <= 0)
			die(sys_error("ceiling: pread"));
		if (mq_send(wq.get(), buf.data(), static_cast<std::size_t>(n), 0) < 0)
			die(sys_error("ceiling: mq_send"));
		off += static_cast<std::uint64_t>(n);
	}
	mq_send(wq.get(), buf.data(), 0, 0);
	drain.join();
	double secs = now_sec() - t0;
	if (received != size)
		die("ceiling: received " + std::to_string(received) + " of " + std::to_string(size) +
		    " bytes");
	return static_cast<double>(size) / secs;
}

} // namespace fileserver::bench
