// SPDX-License-Identifier: MIT
// The client's reply stream reader against a fake server
// (fake-server-test-helpers.h): streams of the right shape, and streams
// crafted with protocol/wire.h, malformed on purpose.

#include <doctest/doctest.h>

#include "client/fake-server-test-helpers.h"

using namespace fileserver;
using namespace fileserver::test;

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
	protocol::Request req = server.received();
	CHECK(req.path == "f");
	CHECK(req.op == protocol::Op::Get);
	CHECK(client.foreign_messages() == 0);
}

TEST_CASE("exchange: messages with a wrong request id or secret are dropped and counted")
{
	FakeServer server;
	Client client = server.client();
	Scripted forged_id = end(0), forged_secret = error(EACCES, "forged");
	forged_id.wrong_id = true;
	forged_secret.wrong_secret = true;
	server.answer({forged_id, meta(0), forged_secret, end(0)});
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
