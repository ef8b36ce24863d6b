// SPDX-License-Identifier: MIT
// The client's exchange against a fake server: a real queue that this test
// creates and reads, and reply streams crafted with protocol/wire.h,
// malformed on purpose.

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "util/random.h"

using namespace fileserver;
using protocol::ReplyType;
using namespace std::chrono_literals;

namespace {

// One reply message of a script; the tweaks make it foreign or out of order.
struct Scripted {
	ReplyType type;
	std::vector<std::uint8_t> payload;
	bool wrong_id = false;
	bool wrong_nonce = false;
	std::int64_t seq_shift = 0;
};

Scripted msg(ReplyType type, std::vector<std::uint8_t> payload = {})
{
	return {type, std::move(payload)};
}

template<std::size_t N>
std::vector<std::uint8_t> vec(const std::array<std::uint8_t, N> &a)
{
	return {a.begin(), a.end()};
}

Scripted meta(std::uint64_t size)
{
	protocol::Meta m;
	m.size = size;
	m.length = size;
	m.mode = 0100644;
	return msg(ReplyType::Meta, vec(protocol::encode_meta(m)));
}

Scripted end(std::uint64_t total)
{
	return msg(ReplyType::End, vec(protocol::encode_end(protocol::End{total})));
}

Scripted data(const std::string &s)
{
	return msg(ReplyType::Data, std::vector<std::uint8_t>(s.begin(), s.end()));
}

Scripted error(std::uint32_t code, std::string text)
{
	return msg(ReplyType::Error, protocol::encode_error(protocol::Error{code, std::move(text)}));
}

// A server queue of the test's own and a thread that answers one request
// with a script.
class FakeServer
{
public:
	FakeServer()
	{
		char name[64];
		std::snprintf(name, sizeof(name), "/fileserver-unit-%d-%016llx", getpid(),
		              static_cast<unsigned long long>(random_u64()));
		name_ = name;
		REQUIRE(MessageQueue::create(name_, O_RDONLY, 0600, 2, 1024, queue_) == 0);
	}
	~FakeServer()
	{
		if (thread_.joinable())
			thread_.join();
		mq_unlink(name_.c_str());
	}

	[[nodiscard]] Client client(std::chrono::milliseconds timeout = 10s) const
	{
		Client c(ClientOptions{name_, timeout});
		return c;
	}

	// Answers the next request with @script.
	void answer(std::vector<Scripted> script)
	{
		thread_ = std::thread([this, script = std::move(script)] { serve(script); });
	}

	// The request the script answered; waits for the script to end (the
	// queue carries no happens-before a race detector can see).
	const protocol::Request &received()
	{
		if (thread_.joinable())
			thread_.join();
		return request_;
	}

private:
	void serve(const std::vector<Scripted> &script)
	{
		std::vector<std::uint8_t> buf(1024);
		long n = queue_.receive(buf, 10s);
		if (n < 0 || protocol::decode_request(std::span(buf.data(), static_cast<std::size_t>(n)),
		                                      request_) != protocol::Status::Ok)
			return;
		MessageQueue reply;
		if (MessageQueue::open(request_.reply_queue, O_WRONLY, reply) < 0)
			return;
		std::uint64_t seq = 0;
		for (const auto &s : script) {
			protocol::ReplyHeader h;
			h.type = s.type;
			h.request_id = request_.id + (s.wrong_id ? 1 : 0);
			h.nonce = request_.nonce;
			if (s.wrong_nonce)
				h.nonce[0] ^= 1;
			h.seq = static_cast<std::uint64_t>(static_cast<std::int64_t>(seq) + s.seq_shift);
			if (!s.wrong_id && !s.wrong_nonce)
				seq++;
			std::vector<std::uint8_t> out(protocol::kReplyHeaderSize + s.payload.size());
			std::size_t len = protocol::encode_reply(h, s.payload, out);
			if (reply.send(std::span(out.data(), len), 10s) < 0)
				return;
		}
	}

	std::string name_;
	MessageQueue queue_;
	std::thread thread_;
	protocol::Request request_;
};

} // namespace

TEST_CASE("exchange: a stream of the expected shape")
{
	FakeServer server;
	Client client = server.client();
	server.answer({meta(9), data("hello "), data("you"), end(9)});
	std::string got;
	auto r = client.get("f", 0, protocol::kToEnd, nullptr, [&](std::span<const std::uint8_t> d) {
		got.append(reinterpret_cast<const char *>(d.data()), d.size());
		return 0;
	});
	CHECK(r.ok());
	CHECK(got == "hello you");
	CHECK(server.received().path == "f");
	CHECK(server.received().op == protocol::Op::Get);
	CHECK(client.foreign_messages() == 0);
}

TEST_CASE("exchange: messages with a wrong request id or nonce are dropped and counted")
{
	FakeServer server;
	Client client = server.client();
	Scripted forged_id = end(0), forged_nonce = error(EACCES, "forged");
	forged_id.wrong_id = true;
	forged_nonce.wrong_nonce = true;
	server.answer({forged_id, meta(0), forged_nonce, end(0)});
	auto r = client.stat("x");
	REQUIRE(r.ok());
	CHECK(r->mode == 0100644);
	CHECK(client.foreign_messages() == 2);
}

namespace {

// The Error code of a GET (or a STAT) answered with @script; 0 on success.
int get_error(std::vector<Scripted> script, std::chrono::milliseconds timeout = 10s)
{
	FakeServer server;
	Client client = server.client(timeout);
	server.answer(std::move(script));
	auto r = client.get("f", 0, protocol::kToEnd, nullptr, [](auto) { return 0; });
	return r.ok() ? 0 : r.error().code;
}

int stat_error(std::vector<Scripted> script)
{
	FakeServer server;
	Client client = server.client();
	server.answer(std::move(script));
	auto r = client.stat("x");
	return r.ok() ? 0 : r.error().code;
}

} // namespace

TEST_CASE("exchange: an ERROR reply gives the server's code and text")
{
	FakeServer server;
	Client client = server.client();
	server.answer({error(ENOENT, "no such file: x")});
	auto r = client.stat("x");
	REQUIRE_FALSE(r.ok());
	CHECK(r.error().code == ENOENT);
	CHECK(r.error().why == "no such file: x");
	// After data: the server ends a GET whose file changed with ESTALE.
	CHECK(get_error({meta(8), data("1234"), error(ESTALE, "file changed while it was sent")}) == ESTALE);
}

TEST_CASE("exchange: a truncated or inconsistent stream is a protocol error")
{
	Scripted skipped = end(0);
	skipped.seq_shift = 1;
	CHECK(get_error({meta(8), data("1234"), end(4)}) == kErrProtocol); // END before all data
	CHECK(get_error({meta(4), data("1234"), end(5)}) == kErrProtocol); // END total disagrees
	CHECK(get_error({meta(2), data("1234"), end(4)}) == kErrProtocol); // more than announced
	CHECK(stat_error({meta(0), skipped}) == kErrProtocol);             // out of sequence
	CHECK(stat_error({msg(ReplyType::Pong, protocol::encode_pong({}))}) == kErrProtocol);
	CHECK(stat_error({msg(ReplyType::Meta, {1, 2, 3})}) == kErrBadReply);
	CHECK(stat_error({meta(0), end(0)}) == 0);
}

TEST_CASE("exchange: a stream that stops is a timeout")
{
	CHECK(get_error({meta(8), data("1234")}, 200ms) == kErrTimedOut);
}

TEST_CASE("exchange: a sink error fails the call as a local error")
{
	FakeServer server;
	Client client = server.client();
	server.answer({meta(4), data("1234"), end(4)});
	auto r = client.get("f", 0, protocol::kToEnd, nullptr, [](auto) { return -ENOSPC; });
	REQUIRE_FALSE(r.ok());
	CHECK(r.error().code == kErrLocal);
	CHECK(r.error().why.find("No space left") != std::string::npos);
}

TEST_CASE("exchange: listing with entries; no server queue")
{
	FakeServer server;
	Client client = server.client();
	std::vector<std::uint8_t> entries;
	for (const char *name : {"a", "b"}) {
		protocol::Entry e;
		e.name = name;
		REQUIRE(protocol::append_entry(entries, e, 512));
	}
	server.answer({meta(0), msg(ReplyType::Entries, entries), end(2)});
	auto r = client.list("");
	REQUIRE(r.ok());
	CHECK(r->entries.size() == 2);

	Client nobody(ClientOptions{"/fileserver-unit-no-such-queue", 1s});
	auto p = nobody.ping();
	REQUIRE_FALSE(p.ok());
	CHECK(p.error().code == kErrNoServer);
}
