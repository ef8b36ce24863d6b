// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "server/request-test-helpers.h"
#include "server/transfer.h"
#include "util/time-util.h"

using namespace fileserver;
using namespace fileserver::test;
using protocol::ReplyType;

namespace {

// A served root in a temporary directory, removed on exit.
struct Root {
	std::string path;
	std::shared_ptr<ServingContext> ctx = std::make_shared<ServingContext>();

	Root()
	{
		char tmpl[] = "/tmp/fs-h2b-transfer-XXXXXX";
		REQUIRE(mkdtemp(tmpl));
		path = tmpl;
		chmod(path.c_str(), 0755);
		ctx->config.root = path;
		ctx->root.reset(open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
		REQUIRE(ctx->root);
	}
	~Root() { std::filesystem::remove_all(path); }

	void write(const std::string &name, const std::string &bytes) const
	{
		std::ofstream(path + "/" + name, std::ios::binary) << bytes;
		chmod((path + "/" + name).c_str(), 0644);
	}
};

// A request as the dispatcher hands it to a worker.
Job job_for(const Root &root, const TestQueue &q, protocol::Op op, const std::string &path)
{
	Job job;
	job.request.op = op;
	job.request.id = 42;
	job.request.path = path;
	job.context = root.ctx;
	job.session = SessionRef(session_on(q), monotonic_usec());
	job.client_uid = job.session->uid;
	job.received_usec = monotonic_usec();
	return job;
}

// Waits until the worker filled the queue (a minute means a hang).
void wait_full(const TestQueue &q)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
	while (q.waiting() < 4) {
		REQUIRE(std::chrono::steady_clock::now() < deadline);
		std::this_thread::yield();
	}
}

struct Fixture {
	Root root;
	TestQueue q{"tr"};
	WorkerPool pool{0, 0, [](Job &) {}}; // only its aborting() flag is used
	ServerStats stats;
	Transfer transfer{pool, stats, [] { return std::string(R"({"ok":true})"); }};

	// Serves one request on this thread; returns the reply stream.
	std::vector<Reply> serve(protocol::Op op, const std::string &path)
	{
		Job job = job_for(root, q, op, path);
		transfer.serve(job);
		return receive_stream(q);
	}
};

} // namespace

TEST_SUITE_BEGIN("transfer");

TEST_CASE_FIXTURE(Fixture, "GET of a small file: META, DATA, END, counted as served")
{
	root.write("small.txt", "hello, world");
	auto replies = serve(protocol::Op::Get, "small.txt");
	REQUIRE(replies.size() == 3);
	REQUIRE(replies[0].hdr.type == ReplyType::Meta);
	protocol::Meta m;
	REQUIRE(protocol::decode_meta(replies[0].payload, m) == protocol::Status::Ok);
	CHECK(m.size == 12);
	CHECK(m.length == 12);
	CHECK(m.chunk_size == 1024 - protocol::kReplyHeaderSize);
	CHECK(replies[1].hdr.type == ReplyType::Data);
	CHECK(std::string(replies[1].payload.begin(), replies[1].payload.end()) == "hello, world");
	REQUIRE(replies[2].hdr.type == ReplyType::End);
	protocol::End end;
	REQUIRE(protocol::decode_end(replies[2].payload, end) == protocol::Status::Ok);
	CHECK(end.total == 12);
	CHECK(stats.served == 1);
	CHECK(stats.failed == 0);
	CHECK(stats.bytes == 12);
}

TEST_CASE_FIXTURE(Fixture, "GET of a file that changes while it is sent ends with ERROR ESTALE, not END")
{
	// More chunks than the queue holds: the worker blocks on the full queue
	// while the file is rewritten in place, at the same size.
	const std::string before(20 * 1024, 'a'), after(20 * 1024, 'b');
	root.write("big", before);
	// An old mtime, so that the rewrite changes it whatever the clock's grain.
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	REQUIRE(utimensat(AT_FDCWD, (root.path + "/big").c_str(), old, 0) == 0);

	Job job = job_for(root, q, protocol::Op::Get, "big");
	std::thread worker([&] { transfer.serve(job); });
	auto first = receive_reply(q); // META
	CHECK(first.hdr.type == ReplyType::Meta);
	wait_full(q); // the worker is blocked now, mid-file
	{
		int fd = open((root.path + "/big").c_str(), O_WRONLY);
		REQUIRE(fd >= 0);
		REQUIRE(pwrite(fd, after.data(), after.size(), 0) == static_cast<ssize_t>(after.size()));
		close(fd);
	}
	auto rest = receive_stream(q);
	worker.join();
	auto e = error_of(rest.back());
	CHECK(e.code == ESTALE);
	CHECK(e.text == "file changed while it was sent");
	CHECK(stats.failed == 1);
	CHECK(stats.served == 0);
}

TEST_CASE_FIXTURE(Fixture, "GET of a file truncated while it is sent ends with ESTALE")
{
	root.write("big", std::string(20 * 1024, 'a'));
	Job job = job_for(root, q, protocol::Op::Get, "big");
	std::thread worker([&] { transfer.serve(job); });
	(void)receive_reply(q);
	wait_full(q);
	REQUIRE(truncate((root.path + "/big").c_str(), 100) == 0);
	auto rest = receive_stream(q);
	worker.join();
	CHECK(error_of(rest.back()).code == ESTALE);
}

TEST_CASE_FIXTURE(Fixture, "a missing file: ERROR ENOENT, counted as failed")
{
	auto replies = serve(protocol::Op::Get, "nope");
	REQUIRE(replies.size() == 1);
	CHECK(error_of(replies[0]).code == ENOENT);
	CHECK(stats.failed == 1);
}

TEST_CASE_FIXTURE(Fixture, "LIST sends the entries, then END with their count")
{
	root.write("a", "1");
	root.write("b", "22");
	auto replies = serve(protocol::Op::List, "");
	REQUIRE(replies.size() == 3);
	CHECK(replies[0].hdr.type == ReplyType::Meta);
	std::vector<protocol::Entry> entries;
	REQUIRE(protocol::decode_entries(replies[1].payload, entries) == protocol::Status::Ok);
	REQUIRE(entries.size() == 2);
	protocol::End end;
	REQUIRE(protocol::decode_end(replies[2].payload, end) == protocol::Status::Ok);
	CHECK(end.total == 2);
}

TEST_CASE("a STATUS that throws fails that request only: ERROR EIO")
{
	Root root;
	TestQueue q("tr");
	WorkerPool pool(0, 0, [](Job &) {});
	ServerStats stats;
	Transfer transfer(pool, stats, []() -> std::string { throw std::runtime_error("bad byte"); });
	Job job = job_for(root, q, protocol::Op::Status, "");
	transfer.serve(job);
	auto e = error_of(receive_reply(q));
	CHECK(e.code == EIO);
	CHECK(e.text.find("internal error") != std::string::npos);
	CHECK(stats.failed == 1);
}

TEST_CASE_FIXTURE(Fixture, "a request of a closed session is logged aborted and sends nothing")
{
	root.write("f", "x");
	Job job = job_for(root, q, protocol::Op::Get, "f");
	job.session->closed.store(true);
	transfer.serve(job);
	CHECK(q.waiting() == 0);
	CHECK(stats.failed == 1);
}

TEST_CASE_FIXTURE(Fixture, "a job counts as in flight on its session until the worker drops it")
{
	root.write("f", "x");
	auto session = session_on(q);
	Job job = job_for(root, q, protocol::Op::Get, "f");
	job.session = SessionRef(session, monotonic_usec());
	CHECK(session->in_flight.load() == 1);
	transfer.serve(job);
	(void)receive_stream(q);
	CHECK(session->in_flight.load() == 1);
	job = Job{};
	CHECK(session->in_flight.load() == 0);
}

TEST_SUITE_END();
