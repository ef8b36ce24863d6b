// SPDX-License-Identifier: MIT
#pragma once

// Shared by the reply-source, reply-stream, transfer, transfer-engine and
// request-loop tests: tiny queues with unique names (tests share the uid's
// mqueue budget), removed on exit, a reader of the replies a client would
// see, a served root in a temporary directory, and the requests' log records.

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "protocol/wire.h"
#include "server/job.h"
#include "server/request-log.h"
#include "server/serving-context.h"
#include "server/session.h"
#include "util/mqueue.h"
#include "util/pidfd.h"
#include "util/random.h"
#include "util/time-util.h"

namespace fileserver::test {

// A queue created 0600 (or @mode) with 4 messages of @msgsize bytes, unlinked on destruction.
struct TestQueue {
	std::string name;
	MessageQueue mq; // read side

	explicit TestQueue(const char *role, long msgsize = 1024, long depth = 4, mode_t mode = 0600)
	        : name("/fs-unit-" + std::string(role) + "-" + std::to_string(getpid()) + "-" +
	               std::to_string(random_u64() % 1000000))
	{
		REQUIRE(MessageQueue::create(name, O_RDONLY, mode, depth, msgsize, mq) == 0);
	}
	~TestQueue() { mq_unlink(name.c_str()); }
	TestQueue(const TestQueue &) = delete;
	TestQueue &operator=(const TestQueue &) = delete;

	[[nodiscard]] MessageQueue open_for_writing() const
	{
		MessageQueue w;
		REQUIRE(MessageQueue::open(name, O_WRONLY, w) == 0);
		return w;
	}

	[[nodiscard]] long waiting() const
	{
		struct mq_attr attr;
		REQUIRE(mq.attributes(attr) == 0);
		return attr.mq_curmsgs;
	}
};

// A session on @q as OPEN makes it (not in any table): the reply queue
// opened O_WRONLY | O_NONBLOCK, the client is @pid (this process by default).
inline std::shared_ptr<Session> session_on(const TestQueue &q, pid_t pid = getpid())
{
	auto s = std::make_shared<Session>();
	s->reply_queue = q.name;
	REQUIRE(MessageQueue::open(q.name, O_WRONLY | O_NONBLOCK, s->reply) == 0);
	REQUIRE(s->reply.stat(s->reply_stat) == 0);
	struct mq_attr attr;
	REQUIRE(s->reply.attributes(attr) == 0);
	s->message_size = static_cast<std::size_t>(attr.mq_msgsize);
	s->uid = s->reply_stat.st_uid;
	s->pid = pid;
	int fd = pidfd_open_fd(pid);
	REQUIRE(fd >= 0);
	s->pidfd.reset(fd);
	s->id = random_u64() | 1;
	random_bytes(s->secret);
	return s;
}

// One decoded reply.
struct Reply {
	protocol::ReplyHeader hdr;
	std::vector<std::uint8_t> payload;
};

// @n bytes of a pattern that shows a misplaced or repeated chunk.
inline std::string pattern(std::size_t n, char first = 'a')
{
	std::string s(n, '\0');
	for (std::size_t i = 0; i < n; i++)
		s[i] = static_cast<char>(first + (i * 11 + i / 26) % 26);
	return s;
}

// The reply in the first @n bytes of @buf (@n: what a receive returned).
inline Reply decode_test_reply(std::span<const std::uint8_t> buf, long n)
{
	REQUIRE(n >= 0);
	Reply r;
	std::span<const std::uint8_t> payload;
	REQUIRE(protocol::decode_reply(buf.first(static_cast<std::size_t>(n)), r.hdr, payload) ==
	        protocol::Status::Ok);
	r.payload.assign(payload.begin(), payload.end());
	return r;
}

// Receives one reply, waiting up to a minute (only a hang takes that long).
inline Reply receive_reply(const TestQueue &q)
{
	std::vector<std::uint8_t> buf(64 * 1024);
	return decode_test_reply(buf, q.mq.receive(buf, std::chrono::seconds(60)));
}

// Receives one reply if one is waiting.
inline std::optional<Reply> try_receive_reply(const TestQueue &q)
{
	std::vector<std::uint8_t> buf(64 * 1024);
	long n = q.mq.try_receive(buf);
	if (n == -EAGAIN)
		return std::nullopt;
	return decode_test_reply(buf, n);
}

// Receives replies up to and including END or ERROR.
inline std::vector<Reply> receive_stream(const TestQueue &q)
{
	std::vector<Reply> out;
	for (;;) {
		out.push_back(receive_reply(q));
		auto t = out.back().hdr.type;
		if (t == protocol::ReplyType::End || t == protocol::ReplyType::Error)
			return out;
		REQUIRE(out.size() < 100000);
	}
}

inline protocol::Error error_of(const Reply &r)
{
	REQUIRE(r.hdr.type == protocol::ReplyType::Error);
	protocol::Error e;
	REQUIRE(protocol::decode_error(r.payload, e) == protocol::Status::Ok);
	return e;
}

inline protocol::Meta meta_of(const Reply &r)
{
	REQUIRE(r.hdr.type == protocol::ReplyType::Meta);
	protocol::Meta m;
	REQUIRE(protocol::decode_meta(r.payload, m) == protocol::Status::Ok);
	return m;
}

inline std::uint64_t end_total(const Reply &r)
{
	REQUIRE(r.hdr.type == protocol::ReplyType::End);
	protocol::End e;
	REQUIRE(protocol::decode_end(r.payload, e) == protocol::Status::Ok);
	return e.total;
}

// The bytes of the DATA replies of @replies, in order.
inline std::string data_of(const std::vector<Reply> &replies)
{
	std::string out;
	for (const Reply &r : replies)
		if (r.hdr.type == protocol::ReplyType::Data)
			out.append(r.payload.begin(), r.payload.end());
	return out;
}

// Upper bound for waits that a correct run never comes close to: only a
// hang makes a test wait this long.
inline constexpr std::chrono::seconds kHang{60};

// Polls @pred (for state no condition variable announces) until it holds;
// false only after @bound.
template<typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds bound = kHang)
{
	auto deadline = std::chrono::steady_clock::now() + bound;
	while (!pred()) {
		if (std::chrono::steady_clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
	return true;
}

// A served root in a temporary directory, removed on exit, and the context
// requests are served under (default configuration).
struct Root {
	std::string path;
	std::shared_ptr<ServingContext> ctx = std::make_shared<ServingContext>();

	Root()
	{
		char tmpl[] = "/tmp/fs-unit-root-XXXXXX";
		REQUIRE(mkdtemp(tmpl));
		path = tmpl;
		chmod(path.c_str(), 0755);
		ctx->config.root = path;
		ctx->root.reset(open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
		REQUIRE(ctx->root);
	}
	~Root() { std::filesystem::remove_all(path); }
	Root(const Root &) = delete;
	Root &operator=(const Root &) = delete;

	void write(const std::string &name, const std::string &bytes) const
	{
		std::ofstream(path + "/" + name, std::ios::binary) << bytes;
		chmod((path + "/" + name).c_str(), 0644);
	}

	// Sets @name's times far in the past, so that any later write moves its
	// mtime whatever the clock's grain.
	void age(const std::string &name) const
	{
		struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
		REQUIRE(utimensat(AT_FDCWD, (path + "/" + name).c_str(), old, 0) == 0);
	}

	// Overwrites @name in place (same inode) with @bytes from offset 0.
	void overwrite(const std::string &name, const std::string &bytes) const
	{
		int fd = open((path + "/" + name).c_str(), O_WRONLY | O_CLOEXEC);
		REQUIRE(fd >= 0);
		CHECK(pwrite(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));
		close(fd);
	}
};

// A request of @session as the dispatcher hands it on: its uid is the
// session's unless @uid is given (fairness keys on it; the access checks
// use the session's).
inline Job job_for(const Root &root, const std::shared_ptr<Session> &session, protocol::Op op,
                   const std::string &path = "", std::uint64_t id = 42, uid_t uid = static_cast<uid_t>(-1))
{
	Job job;
	job.request.op = op;
	job.request.id = id;
	job.request.path = path;
	job.request.nonce[0] = static_cast<std::uint8_t>(id);
	job.context = root.ctx;
	job.session = SessionRef(session, monotonic_usec());
	job.client_uid = uid == static_cast<uid_t>(-1) ? session->uid : uid;
	job.received_usec = monotonic_usec();
	return job;
}

// What a request's log record said.
struct LoggedRequest {
	protocol::Op op;
	Outcome outcome;
	int error;
	std::string detail;
	std::uint64_t bytes;
};

// Collects the records of the requests that end while it exists (through
// the structured logger hook, so nothing reaches the console meanwhile).
class RequestLogCapture
{
public:
	RequestLogCapture() : level_(spdlog::get_level())
	{
		spdlog::set_level(spdlog::level::info); // records are logged at info and warn
		set_structured_request_logger(&record);
	}
	~RequestLogCapture()
	{
		set_structured_request_logger(nullptr);
		spdlog::set_level(level_);
		std::lock_guard guard(lock());
		store().clear();
	}
	RequestLogCapture(const RequestLogCapture &) = delete;
	RequestLogCapture &operator=(const RequestLogCapture &) = delete;

	[[nodiscard]] std::vector<LoggedRequest> records() const
	{
		std::lock_guard guard(lock());
		return store();
	}

private:
	static std::mutex &lock()
	{
		static std::mutex m;
		return m;
	}
	static std::vector<LoggedRequest> &store()
	{
		static std::vector<LoggedRequest> v;
		return v;
	}
	static void record(int, const std::string &, const RequestRecord &rec)
	{
		std::lock_guard guard(lock());
		store().push_back({rec.op, rec.outcome, rec.error, rec.detail, rec.bytes});
	}

	spdlog::level::level_enum level_;
};

} // namespace fileserver::test
