// SPDX-License-Identifier: MIT
// Client::get_ahead against a fake server (fake-server-test-helpers.h): the
// GET sent ahead is taken by the get() that names it, and by nothing else.

#include <doctest/doctest.h>

#include "client/fake-server-test-helpers.h"

using namespace fileserver;
using namespace fileserver::test;

namespace {

Result<std::string> get_text(const Client &client, const std::string &path, std::uint64_t offset = 0)
{
	std::string got;
	auto r = client.get(path, offset, protocol::kToEnd, nullptr, [&](std::span<const std::uint8_t> d) {
		got.append(reinterpret_cast<const char *>(d.data()), d.size());
		return 0;
	});
	if (!r)
		return r.take_error();
	return got;
}

// The paths of the GETs the server received, in order.
std::vector<std::string> gets(FakeServer &server, std::size_t requests)
{
	std::vector<std::string> out;
	for (const auto &req : server.requests(requests))
		if (req.op == protocol::Op::Get)
			out.push_back(req.path);
	return out;
}

} // namespace

TEST_CASE("get_ahead: the get of the same file takes the reply; no second request")
{
	FakeServer server;
	Client client = server.client();
	server.answer({meta(3), data("one"), end(3)});
	server.answer({meta(3), data("two"), end(3)});
	REQUIRE(client.get_ahead("a", 0, protocol::kToEnd).ok());
	// OPEN and the GET ahead are out before the get() is called.
	CHECK(gets(server, 2) == std::vector<std::string>{"a"});
	auto first = get_text(client, "a");
	REQUIRE(first.ok());
	CHECK(*first == "one");
	REQUIRE(client.get_ahead("b", 0, protocol::kToEnd).ok());
	auto second = get_text(client, "b");
	REQUIRE(second.ok());
	CHECK(*second == "two");
	CHECK(gets(server, 3) == std::vector<std::string>{"a", "b"});
	CHECK(server.count(protocol::Op::Open) == 1);
	CHECK(client.foreign_messages() == 0);
}

TEST_CASE("get_ahead: while one is pending, another does nothing")
{
	FakeServer server;
	Client client = server.client();
	server.answer({meta(1), data("x"), end(1)});
	REQUIRE(client.get_ahead("a", 0, protocol::kToEnd).ok());
	REQUIRE(client.get_ahead("a", 0, protocol::kToEnd).ok());
	REQUIRE(client.get_ahead("b", 0, protocol::kToEnd).ok());
	auto got = get_text(client, "a");
	REQUIRE(got.ok());
	CHECK(*got == "x");
	CHECK(gets(server, 2) == std::vector<std::string>{"a"});
}

TEST_CASE("get_ahead: another call drops the pending GET with its session")
{
	FakeServer server;
	Client client = server.client();
	server.answer({meta(3), data("one"), end(3)}); // the GET ahead's, never read
	REQUIRE(client.get_ahead("a", 0, protocol::kToEnd).ok());

	SUBCASE("a get of another file")
	{
		server.answer({meta(3), data("two"), end(3)});
		auto got = get_text(client, "b");
		REQUIRE(got.ok());
		CHECK(*got == "two");
	}
	SUBCASE("the same file from another offset")
	{
		protocol::Meta m;
		m.size = 3;
		m.offset = 1;
		m.length = 2;
		server.answer({msg(ReplyType::Meta, vec(protocol::encode_meta(m))), data("ne"), end(2)});
		auto got = get_text(client, "a", 1);
		REQUIRE(got.ok());
		CHECK(*got == "ne");
	}
	SUBCASE("a stat")
	{
		server.answer({meta(3), end(0)});
		auto st = client.stat("a");
		REQUIRE(st.ok());
		CHECK(st->size == 3);
	}
	// OPEN, GET ahead, CLOSE, OPEN, the call: the second session's reply
	// queue never saw the GET ahead's stream.
	auto reqs = server.requests(5);
	REQUIRE(reqs.size() == 5);
	CHECK(reqs[2].op == protocol::Op::Close);
	CHECK(reqs[3].op == protocol::Op::Open);
	CHECK(reqs[4].session != reqs[1].session);
	CHECK(client.foreign_messages() == 0);
}

TEST_CASE("get_ahead: refused as busy, the GET is sent once more when taken")
{
	FakeServer server;
	Client client = server.client();
	server.answer({error(EBUSY, "busy")});
	server.answer({meta(2), data("ok"), end(2)});
	REQUIRE(client.get_ahead("a", 0, protocol::kToEnd).ok());
	auto got = get_text(client, "a");
	REQUIRE(got.ok());
	CHECK(*got == "ok");
	CHECK(gets(server, 3) == std::vector<std::string>{"a", "a"});
	CHECK(server.count(protocol::Op::Open) == 1);
}

TEST_CASE("get_ahead: a GET that is not busy keeps its error")
{
	FakeServer server;
	Client client = server.client();
	server.answer({error(ENOENT, "no such file")});
	REQUIRE(client.get_ahead("a", 0, protocol::kToEnd).ok());
	auto got = get_text(client, "a");
	REQUIRE_FALSE(got.ok());
	CHECK(got.error().code == ENOENT);
	CHECK(gets(server, 2) == std::vector<std::string>{"a"});
}
