// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "server/reply-stream.h"
#include "server/request-test-helpers.h"

using namespace fileserver;
using namespace fileserver::test;
using protocol::ReplyType;

namespace {

protocol::Request request_with_id(std::uint64_t id)
{
	protocol::Request req;
	req.id = id;
	req.nonce[0] = 0x5a;
	req.nonce[15] = 0xa5;
	return req;
}

// A message buffer of the queue's size holding @payload after the header's room.
std::vector<std::uint8_t> message_with(std::span<const std::uint8_t> payload, std::size_t size = 1024)
{
	std::vector<std::uint8_t> msg(size, 0xcc);
	std::memcpy(msg.data() + protocol::kReplyHeaderSize, payload.data(), payload.size());
	return msg;
}

} // namespace

TEST_SUITE_BEGIN("reply-stream");

TEST_CASE("try_send frames each message: id, nonce, sequence numbers, the payload in place")
{
	TestQueue q("rs");
	MessageQueue w = q.open_for_writing();
	auto req = request_with_id(77);
	ReplyStream out(req);
	CHECK(out.data_bytes() == 0);

	auto pong = protocol::encode_pong({2, "x"});
	auto msg = message_with(pong);
	REQUIRE(out.try_send(w, Piece{ReplyType::Pong, pong.size()}, msg) == 0);
	const std::uint8_t abc[] = {'a', 'b', 'c'};
	msg = message_with(abc);
	REQUIRE(out.try_send(w, Piece{ReplyType::Data, 3}, msg) == 0);
	auto end = protocol::encode_end({3});
	msg = message_with(end);
	REQUIRE(out.try_send(w, Piece{ReplyType::End, end.size()}, msg) == 0);
	CHECK(out.data_bytes() == 3); // DATA payloads only

	auto replies = receive_stream(q);
	REQUIRE(replies.size() == 3);
	for (std::size_t i = 0; i < replies.size(); i++) {
		CHECK(replies[i].hdr.request_id == 77);
		CHECK(replies[i].hdr.nonce == req.nonce);
		CHECK(replies[i].hdr.seq == i);
		CHECK(replies[i].hdr.version == protocol::kVersion);
	}
	CHECK(replies[0].hdr.type == ReplyType::Pong);
	CHECK(replies[1].hdr.type == ReplyType::Data);
	CHECK(replies[1].payload == std::vector<std::uint8_t>{'a', 'b', 'c'});
	CHECK(end_total(replies[2]) == 3);
}

TEST_CASE("a full queue: -EAGAIN at once, and the message keeps its sequence number when sent again")
{
	TestQueue q("rs", 1024, 2);
	MessageQueue w;
	REQUIRE(MessageQueue::open(q.name, O_WRONLY | O_NONBLOCK, w) == 0);
	ReplyStream out(request_with_id(5));
	const std::uint8_t byte[] = {'d'};
	auto msg = message_with(byte);
	Piece data{ReplyType::Data, 1};
	REQUIRE(out.try_send(w, data, msg) == 0);
	REQUIRE(out.try_send(w, data, msg) == 0);
	CHECK(out.try_send(w, data, msg) == -EAGAIN);
	CHECK(out.try_send(w, data, msg) == -EAGAIN);
	CHECK(out.data_bytes() == 2); // refused sends count nothing

	(void)receive_reply(q);
	REQUIRE(out.try_send(w, data, msg) == 0);
	CHECK(out.data_bytes() == 3);
	CHECK(receive_reply(q).hdr.seq == 1);
	CHECK(receive_reply(q).hdr.seq == 2);
}

TEST_CASE("a lost client: the queue's error, nothing counted")
{
	TestQueue q("rs");
	MessageQueue read_only;
	REQUIRE(MessageQueue::open(q.name, O_RDONLY | O_NONBLOCK, read_only) == 0);
	ReplyStream out(request_with_id(1));
	const std::uint8_t byte[] = {'d'};
	auto msg = message_with(byte);
	CHECK(out.try_send(read_only, Piece{ReplyType::Data, 1}, msg) == -EBADF);
	CHECK(out.data_bytes() == 0);
}

TEST_CASE("reply_error_now answers at once, gives up on a full queue, and speaks the version asked")
{
	TestQueue q("rs", 1024, 1);
	MessageQueue w;
	REQUIRE(MessageQueue::open(q.name, O_WRONLY | O_NONBLOCK, w) == 0);
	auto req = request_with_id(9);
	CHECK(reply_error_now(w, req, EBUSY, "busy") == 0);
	CHECK(reply_error_now(w, req, EBUSY, "busy") == -EAGAIN); // full: dropped, no wait
	auto r = receive_reply(q);
	CHECK(r.hdr.request_id == 9);
	CHECK(r.hdr.nonce == req.nonce);
	CHECK(r.hdr.seq == 0);
	CHECK(r.hdr.version == protocol::kVersion);
	auto e = error_of(r);
	CHECK(e.code == EBUSY);
	CHECK(e.text == "busy");
	CHECK(q.waiting() == 0);

	REQUIRE(reply_error_now(w, req, EPROTO, "old", 1) == 0);
	std::vector<std::uint8_t> buf(1024);
	long n = q.mq.receive(buf, kHang);
	REQUIRE(n >= protocol::kReplyHeaderSize);
	protocol::ReplyHeader hdr;
	std::span<const std::uint8_t> payload;
	// A version-1 header: this version's decoder refuses it, by its version.
	CHECK(protocol::decode_reply(std::span(buf).first(static_cast<std::size_t>(n)), hdr, payload) ==
	      protocol::Status::BadVersion);
	std::uint16_t version;
	std::memcpy(&version, buf.data() + 4, sizeof(version)); // host order, as the wire
	CHECK(version == 1);
}

TEST_SUITE_END();
