// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <signal.h>
#include <sys/wait.h>

#include "server/reply-stream.h"
#include "server/request-test-helpers.h"

using namespace fileserver;
using namespace fileserver::test;
using namespace std::chrono_literals;
using protocol::ReplyType;

namespace {

protocol::Request request_with_id(std::uint64_t id)
{
	protocol::Request req;
	req.id = id;
	req.nonce[0] = 0x5a;
	return req;
}

} // namespace

TEST_SUITE_BEGIN("reply-stream");

TEST_CASE("a reply stream frames its messages: id, nonce, sequence numbers, DATA in place")
{
	TestQueue q("rs");
	auto session = session_on(q);
	auto req = request_with_id(77);
	ReplyStream out(*session, req, 5s, [] { return false; });
	CHECK(out.max_payload() == 1024 - protocol::kReplyHeaderSize);

	auto end = protocol::encode_end({3});
	REQUIRE(out.send(ReplyType::Pong, protocol::encode_pong({1, "x"})));
	auto area = out.payload_area();
	REQUIRE(area.size() == out.max_payload());
	std::memcpy(area.data(), "abc", 3);
	REQUIRE(out.send_data(3));
	REQUIRE(out.send(ReplyType::End, end));
	CHECK(out.data_bytes() == 3);
	CHECK_FALSE(out.lost());

	auto replies = receive_stream(q);
	REQUIRE(replies.size() == 3);
	for (std::size_t i = 0; i < replies.size(); i++) {
		CHECK(replies[i].hdr.request_id == 77);
		CHECK(replies[i].hdr.nonce == req.nonce);
		CHECK(replies[i].hdr.seq == i);
	}
	CHECK(replies[0].hdr.type == ReplyType::Pong);
	CHECK(replies[1].hdr.type == ReplyType::Data);
	CHECK(replies[1].payload == std::vector<std::uint8_t>{'a', 'b', 'c'});
	CHECK(replies[2].hdr.type == ReplyType::End);
}

TEST_CASE("an ERROR text is cut to what fits in the message")
{
	TestQueue q("rs", 128);
	auto session = session_on(q);
	ReplyStream out(*session, request_with_id(1), 5s, [] { return false; });
	REQUIRE(out.send_error(ENOENT, std::string(500, 'n')));
	auto e = error_of(receive_reply(q));
	CHECK(e.code == ENOENT);
	CHECK(e.text == std::string(128 - protocol::kReplyHeaderSize - protocol::kErrorFixedSize, 'n'));
}

TEST_CASE("a payload too large for the queue's messages is an error, not a lost client")
{
	TestQueue q("rs", 128);
	auto session = session_on(q);
	ReplyStream out(*session, request_with_id(1), 5s, [] { return false; });
	std::vector<std::uint8_t> big(500);
	auto r = out.send(ReplyType::Status, big);
	REQUIRE_FALSE(r);
	CHECK(r.error().code == EMSGSIZE);
	CHECK_FALSE(out.lost());
}

TEST_CASE("a client that stops reading is lost: ETIMEDOUT, and later sends fail at once")
{
	TestQueue q("rs", 1024, 1);
	auto session = session_on(q);
	ReplyStream out(*session, request_with_id(1), 1ms, [] { return false; });
	auto end = protocol::encode_end({0});
	REQUIRE(out.send(ReplyType::End, end)); // fills the queue
	auto r = out.send(ReplyType::End, end);
	REQUIRE_FALSE(r);
	CHECK(r.error().code == ETIMEDOUT);
	REQUIRE(out.lost());
	CHECK(out.lost()->code == ETIMEDOUT);
	(void)receive_reply(q); // room again, but the stream stays lost
	auto again = out.send_error(EIO, "x");
	REQUIRE_FALSE(again);
	CHECK(again.error().code == ETIMEDOUT);
	CHECK(q.waiting() == 0);
}

TEST_CASE("a shutdown that gave up waiting cuts a blocked send off with ESHUTDOWN")
{
	TestQueue q("rs", 1024, 1);
	auto session = session_on(q);
	ReplyStream out(*session, request_with_id(1), 60s, [] { return true; });
	auto end = protocol::encode_end({0});
	REQUIRE(out.send(ReplyType::End, end));
	auto r = out.send(ReplyType::End, end);
	REQUIRE_FALSE(r);
	CHECK(r.error().code == ESHUTDOWN);
}

TEST_CASE("reply_error_now answers without waiting, and gives up on a full queue")
{
	TestQueue q("rs", 1024, 1);
	MessageQueue w = q.open_for_writing();
	auto req = request_with_id(9);
	reply_error_now(w, req, EBUSY, "busy");
	reply_error_now(w, req, EBUSY, "busy"); // full: dropped, does not block
	auto e = error_of(receive_reply(q));
	CHECK(e.code == EBUSY);
	CHECK(e.text == "busy");
	CHECK(q.waiting() == 0);
}

TEST_CASE("a client that exits while its queue is full frees the transfer at once")
{
	TestQueue q("rs", 1024, 1);
	pid_t child = fork();
	REQUIRE(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	auto session = session_on(q, child);
	ReplyStream out(*session, request_with_id(1), 60s, [] { return false; });
	auto end = protocol::encode_end({0});
	REQUIRE(out.send(ReplyType::End, end)); // fills the queue
	kill(child, SIGKILL);
	waitpid(child, nullptr, 0);
	auto r = out.send(ReplyType::End, end); // would wait a minute for room
	REQUIRE_FALSE(r);
	CHECK(r.error().code == ESRCH);
	CHECK(r.error().why == "client exited");
}

TEST_CASE("a closed session ends its transfer at the next send")
{
	TestQueue q("rs", 1024, 1);
	auto session = session_on(q);
	ReplyStream out(*session, request_with_id(1), 60s, [] { return false; });
	auto end = protocol::encode_end({0});
	REQUIRE(out.send(ReplyType::End, end));
	session->closed.store(true);
	auto r = out.send(ReplyType::End, end);
	REQUIRE_FALSE(r);
	CHECK(r.error().code == ECANCELED);
}

TEST_SUITE_END();
