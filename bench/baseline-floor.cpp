// SPDX-License-Identifier: MIT
// The small-file floor: client processes, as in the small-file phase; per
// request a client creates a private reply queue (or, with persistent_reply,
// keeps one for all its requests, as a session does), sends a request naming it
// and the file, and receives three messages of the sizes of META, DATA and
// END; a server thread (one per CPU at most, each blocking in mq_receive)
// opens the reply queue and the file, preads it and sends the three
// messages. No request decoding, path policy, dispatcher, transfer engine or
// logging. This is not a ceiling the server could reach (it has to do
// those), but the part of the cost that the protocol and the kernel impose.
//
// Plain mq_send()/mq_receive() on the RAII-held descriptors: the wrappers'
// deadlines would add a clock read per message.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <thread>
#include <vector>

#include "baselines.h"
#include "client-calls.h"
#include "client-processes.h"
#include "fail.h"
#include "measure-window.h"
#include "options.h"
#include "proc-stats.h"
#include "util/mqueue.h"
#include "util/unique-fd.h"
#include "work-dir.h"

namespace fileserver::bench {

namespace {

constexpr long kMsgSize = 8192, kDepth = 10;
constexpr std::size_t kHeader = 48;

struct Floor {
	Floor(const Options &opts, const WorkDir &dir, bool persistent)
	        : o(opts), w(dir), persistent_reply(persistent)
	{}
	Floor(const Floor &) = delete;
	Floor &operator=(const Floor &) = delete;

	const Options &o;
	const WorkDir &w;
	bool persistent_reply;
	MessageQueue server_queue;
	UniqueFD root;
	ReplyQueueShape shape = reply_queue_shape();
};

// Serves requests until a zero-length message comes.
void serve(const Floor &f)
{
	std::vector<char> req(static_cast<std::size_t>(kMsgSize));
	std::vector<char> out(static_cast<std::size_t>(kMsgSize));
	for (;;) {
		ssize_t n = mq_receive(f.server_queue.get(), req.data(), req.size(), nullptr);
		if (n <= 0)
			return;
		std::string_view msg(req.data(), static_cast<std::size_t>(n));
		auto nl = msg.find('\n');
		std::string qname(msg.substr(0, nl)), path(msg.substr(nl + 1));
		MessageQueue rq;
		if (MessageQueue::open(qname, O_WRONLY, rq) < 0)
			continue;
		struct stat st;
		fstat(rq.get(), &st);
		UniqueFD fd(openat(f.root.get(), path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
		fstat(fd.get(), &st);
		mq_send(rq.get(), out.data(), kHeader + 56, 0); // META
		ssize_t got = pread(fd.get(), out.data() + kHeader,
		                    static_cast<std::size_t>(kMsgSize) - kHeader, 0);
		mq_send(rq.get(), out.data(), kHeader + static_cast<std::size_t>(std::max<ssize_t>(got, 0)),
		        0);
		mq_send(rq.get(), out.data(), kHeader + 8, 0); // END
	}
}

// A reply queue per request; over the budget (the server may still hold
// the last one open), a smaller one, as the client library does.
int create_reply_queue(const char *qname, const ReplyQueueShape &shape, MessageQueue &out)
{
	for (long depth = shape.depth;; depth /= 2) {
		int r = MessageQueue::create(qname, O_RDONLY, 0622, depth, shape.message_size, out);
		if (r == 0 || (r != -EMFILE && r != -ENOMEM) || depth <= 2)
			return r;
	}
}

// One GET's worth of messages; whether all came, with @data bytes of DATA.
bool exchange(const Floor &f, mqd_t q, const std::string &msg, const char *qname, std::vector<char> &buf,
              std::uint64_t &data)
{
	bool ok = mq_send(f.server_queue.get(), msg.data(), msg.size(), 0) == 0;
	for (int m = 0; ok && m < 3; m++) {
		ssize_t n = mq_receive(q, buf.data(), buf.size(), nullptr);
		ok = n >= static_cast<ssize_t>(kHeader);
		if (m == 1 && ok)
			data = static_cast<std::uint64_t>(n) - kHeader;
		if (m == 0 && !f.persistent_reply)
			mq_unlink(qname); // after the first reply, as the client does
	}
	return ok;
}

void run_client(const Floor &f, const MeasureWindow &window, int t, ThreadStats &s)
{
	std::vector<char> buf(static_cast<std::size_t>(f.shape.message_size));
	char qname[64];
	std::snprintf(qname, sizeof(qname), "/fsbench-floor-%d-%d", getpid(), t);
	MessageQueue keep;
	if (f.persistent_reply) {
		mq_unlink(qname);
		(void)MessageQueue::create(qname, O_RDONLY, 0622, f.shape.depth, f.shape.message_size, keep);
	}
	std::size_t next = static_cast<std::size_t>(t) * 7919;
	while (!window.closed()) {
		std::string msg =
		        std::string(qname) + "\n" + f.w.small_names[next++ % f.w.small_names.size()];
		double t0 = now_sec();
		MessageQueue fresh;
		if (!f.persistent_reply)
			(void)create_reply_queue(qname, f.shape, fresh);
		mqd_t q = f.persistent_reply ? keep.get() : fresh.get();
		std::uint64_t data = 0;
		bool ok = q != static_cast<mqd_t>(-1) && exchange(f, q, msg, qname, buf, data);
		fresh.reset(); // its mq_close() is part of the request
		double t1 = now_sec();
		if (window.counts(t0, t1))
			s.add(ok && data == f.o.small_size, t0, t1);
	}
	if (f.persistent_reply) {
		keep.reset();
		mq_unlink(qname);
	}
}

} // namespace

nlohmann::json floor_level(const Options &o, const WorkDir &w, int clients, bool persistent_reply)
{
	Floor f(o, w, persistent_reply);
	std::string server_name = "/fsbench-floor-" + std::to_string(getpid());
	mq_unlink(server_name.c_str());
	int r = MessageQueue::create(server_name, O_RDWR, 0600, kDepth, kMsgSize, f.server_queue);
	if (r < 0)
		die(sys_error("floor: create server queue", r));
	f.root.reset(open(w.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));

	// Forked before the server threads exist; until those start, the
	// clients wait in mq_send().
	ClientProcesses procs(clients, [&f](int t, const MeasureWindow &window, ThreadStats &s) {
		run_client(f, window, t, s);
	});
	int nservers =
	        std::min<int>(clients, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
	std::vector<std::thread> servers;
	for (int i = 0; i < nservers; i++)
		servers.emplace_back([&f] { serve(f); });

	MeasureWindow &window = procs.window();
	window.warm_up(o);
	double cpu0 = self_cpu_sec();
	window.measure(o.duration);
	double cpu = self_cpu_sec() - cpu0;
	std::vector<ThreadStats> stats = procs.collect();
	for (int i = 0; i < nservers; i++)
		mq_send(f.server_queue.get(), "", 0, 0);
	for (auto &t : servers)
		t.join();
	mq_unlink(server_name.c_str());

	Totals total = add_up(stats);
	double client_cpu = 0;
	for (const auto &s : stats)
		client_cpu += s.cpu_sec;
	nlohmann::json j = level_summary(total, clients, window.seconds());
	j["server_threads"] = nservers;
	j["persistent_reply_queue"] = persistent_reply;
	j["server_cpu_usec_per_request"] = cpu * 1e6 / total.done();
	j["client_cpu_usec_per_request"] = client_cpu * 1e6 / total.done();
	j["cpu_usec_per_request"] = (cpu + client_cpu) * 1e6 / total.done();
	return j;
}

} // namespace fileserver::bench
