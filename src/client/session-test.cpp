// SPDX-License-Identifier: MIT
// The client's protocol session against a fake server
// (fake-server-test-helpers.h): OPEN and its CHALLENGE, the secret in every
// request, CLOSE, and the session given up when it cannot be trusted.

#include <doctest/doctest.h>

#include "client/fake-server-test-helpers.h"
#include "client/stale-queues.h"

using namespace fileserver;
using namespace fileserver::test;
using protocol::Op;

namespace {

bool queue_exists(const std::string &name)
{
	MessageQueue q;
	return MessageQueue::open(name, O_RDONLY, q) == 0;
}

} // namespace

TEST_CASE("session: one OPEN, requests with the secret, CLOSE at the end")
{
	FakeServer server;
	std::string reply_queue;
	{
		Client client = server.client();
		server.answer(pong());
		server.answer({meta(0), end(0)});
		REQUIRE(client.ping().ok());
		REQUIRE(client.stat("x").ok());
		auto reqs = server.requests(3);
		REQUIRE(reqs.size() == 3);
		const protocol::Request &open = reqs[0];
		CHECK(open.op == Op::Open);
		CHECK(open.pid == static_cast<std::uint32_t>(getpid()));
		CHECK(reply_queue_creator(open.reply_queue.substr(1)) == getpid());
		// Unlinked when the CHALLENGE came: nothing left if we are killed.
		CHECK_FALSE(queue_exists(open.reply_queue));
		reply_queue = open.reply_queue;

		CHECK(reqs[1].op == Op::Ping);
		CHECK(reqs[2].op == Op::Stat);
		CHECK(reqs[1].session != 0);
		CHECK(reqs[1].session == reqs[2].session);
		CHECK(reqs[1].nonce == reqs[2].nonce); // the secret
		CHECK(reqs[1].nonce != open.nonce);
		CHECK(reqs[1].id != reqs[2].id);
		CHECK(reqs[1].reply_queue.empty());
		CHECK(server.rejected() == 0);
	}
	auto reqs = server.requests(4);
	REQUIRE(reqs.size() == 4);
	CHECK(reqs[3].op == Op::Close);
	CHECK(reqs[3].session == reqs[1].session);
	CHECK(reqs[3].nonce == reqs[1].nonce);
	CHECK(server.rejected() == 0);
}

TEST_CASE("session: a copy opens a session of its own")
{
	FakeServer server;
	Client a = server.client();
	server.answer(pong());
	REQUIRE(a.ping().ok());
	Client b = a;
	server.answer(pong());
	REQUIRE(b.ping().ok());
	CHECK(server.count(Op::Open) == 2);
	auto reqs = server.requests(4);
	CHECK(reqs[1].session != reqs[3].session);
}

TEST_CASE("session: a CHALLENGE with another nonce is dropped as foreign")
{
	FakeServer server;
	server.on_open(FakeServer::OnOpen::ForeignFirst);
	Client client = server.client();
	server.answer(pong());
	REQUIRE(client.ping().ok());
	CHECK(client.foreign_messages() == 1);
	CHECK(server.count(Op::Open) == 1);
}

TEST_CASE("session: an ERROR reply to OPEN fails the call with the server's error")
{
	FakeServer server;
	server.on_open(FakeServer::OnOpen::Error, {EBUSY, "server busy: 1024 sessions open"});
	Client client = server.client();
	auto r = client.ping();
	REQUIRE_FALSE(r.ok());
	CHECK(r.error().code == EBUSY);
	CHECK(r.error().why == "server busy: 1024 sessions open");
	auto reqs = server.requests(1);
	REQUIRE(reqs.size() == 1);
	CHECK_FALSE(queue_exists(reqs[0].reply_queue));

	// The next call tries again.
	server.on_open(FakeServer::OnOpen::Challenge);
	server.answer(pong());
	auto again = client.ping();
	CHECK_MESSAGE(again.ok(), (again.ok() ? "" : again.error().why));
	CHECK(server.count(Op::Open) == 2);
}

TEST_CASE("session: no answer to OPEN is a timeout, and the name is removed")
{
	FakeServer server;
	server.on_open(FakeServer::OnOpen::Silence);
	Client client = server.client(200ms);
	auto r = client.ping();
	REQUIRE_FALSE(r.ok());
	CHECK(r.error().code == kErrTimedOut);
	CHECK(server.count(Op::Open) == 1); // a new session times out: no retry
	CHECK_FALSE(queue_exists(server.requests(1)[0].reply_queue));
}

TEST_CASE("session: a server that forgot the session gets a new one and the call is retried once")
{
	FakeServer server;
	Client client = server.client(300ms);
	server.answer(pong());
	REQUIRE(client.ping().ok());
	server.forget_sessions(); // as after a restart on the same queue
	server.answer(pong());
	auto r = client.ping();
	CHECK(r.ok());
	CHECK(server.count(Op::Open) == 2);
	CHECK(server.rejected() == 2); // the request, then the CLOSE of the session given up

	// Once only: a server that answers nothing fails the call.
	server.forget_sessions();
	r = client.ping();
	REQUIRE_FALSE(r.ok());
	CHECK(r.error().code == kErrTimedOut);
	CHECK(server.count(Op::Open) == 3);
}

TEST_CASE("session: a call abandoned mid-stream closes the session; the next call opens another")
{
	FakeServer server;
	Client client = server.client();
	server.answer({meta(4), data("1234"), end(4)});
	auto r = client.get("f", 0, protocol::kToEnd, nullptr, [](auto) { return -ENOSPC; });
	REQUIRE_FALSE(r.ok());
	server.answer(pong());
	REQUIRE(client.ping().ok());
	auto reqs = server.requests(5);
	REQUIRE(reqs.size() == 5);
	CHECK(reqs[0].op == Op::Open);
	CHECK(reqs[1].op == Op::Get);
	CHECK(reqs[2].op == Op::Close);
	CHECK(reqs[2].session == reqs[1].session);
	CHECK(reqs[3].op == Op::Open);
	CHECK(reqs[4].session != reqs[1].session);
	CHECK(client.foreign_messages() == 0);
}

TEST_CASE("session: an ERROR reply to a request keeps the session")
{
	FakeServer server;
	Client client = server.client();
	server.answer({error(ENOENT, "no such file: x")});
	CHECK(client.stat("x").error().code == ENOENT);
	server.answer(pong());
	CHECK(client.ping().ok());
	CHECK(server.count(Op::Open) == 1);
	CHECK(server.count(Op::Close) == 0);
}
