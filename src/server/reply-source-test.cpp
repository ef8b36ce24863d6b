// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/operations.h"
#include "server/reply-source.h"
#include "server/request-test-helpers.h"

using namespace fileserver;
using namespace fileserver::test;
using protocol::ReplyType;

namespace {

struct Made {
	ReplyType type;
	std::vector<std::uint8_t> payload;
};

// What a source made, and the error that ended it, if one did.
struct Drained {
	std::vector<Made> messages;
	std::optional<Error> error;
};

// Drives @source as a transfer does when every send first meets a full
// queue: each message is made twice before it counts as sent, into buffers
// of different garbage, and both must be the same bytes. @after_sent runs
// after each message is sent, with the number sent so far.
Drained drain(ReplySource &source, std::size_t max_payload,
              const std::function<void(std::size_t)> &after_sent = {})
{
	Drained out;
	for (;;) {
		REQUIRE(out.messages.size() < 100000);
		std::vector<std::uint8_t> first_buf(max_payload, 0x11), again_buf(max_payload, 0xee);
		auto first = source.next(first_buf);
		if (!first) {
			out.error = first.take_error();
			return out;
		}
		if (first->done)
			return out;
		REQUIRE(first->size <= max_payload);
		auto again = source.next(again_buf);
		REQUIRE(again);
		REQUIRE_FALSE(again->done);
		CHECK(again->type == first->type);
		REQUIRE(again->size == first->size);
		CHECK(std::equal(first_buf.begin(), first_buf.begin() + static_cast<long>(first->size),
		                 again_buf.begin()));
		source.sent();
		first_buf.resize(first->size);
		out.messages.push_back({first->type, std::move(first_buf)});
		if (after_sent)
			after_sent(out.messages.size());
	}
}

std::string text_of(const Made &m)
{
	return {m.payload.begin(), m.payload.end()};
}

protocol::Meta meta_of(const Made &m)
{
	REQUIRE(m.type == ReplyType::Meta);
	protocol::Meta meta;
	REQUIRE(protocol::decode_meta(m.payload, meta) == protocol::Status::Ok);
	return meta;
}

std::uint64_t end_total(const Made &m)
{
	REQUIRE(m.type == ReplyType::End);
	protocol::End end;
	REQUIRE(protocol::decode_end(m.payload, end) == protocol::Status::Ok);
	return end.total;
}

// The operations' sources over a served root, with messages of @max_payload bytes.
struct OpFixture {
	Root root;
	ServerStats stats;
	protocol::Request request;
	std::size_t max_payload = 100;

	SourceResult start(protocol::Op op, const std::string &path, std::uint64_t offset = 0,
	                   std::uint64_t length = UINT64_MAX)
	{
		request.op = op;
		request.path = path;
		request.offset = offset;
		request.length = length;
		OpRequest op_request{request, *root.ctx, getuid(), stats, max_payload};
		switch (op) {
		case protocol::Op::Get: return start_get(op_request);
		case protocol::Op::List: return start_list(op_request);
		case protocol::Op::Stat: return start_stat(op_request);
		default: break;
		}
		FAIL("not an operation on a path");
		return Error{EINVAL, "test"};
	}
};

} // namespace

TEST_SUITE_BEGIN("reply-source");

TEST_CASE("a fixed source makes each message until it is sent, then is done")
{
	FixedSource source;
	source.add(ReplyType::Pong, protocol::encode_pong({2, "v"}));
	source.add(ReplyType::End, protocol::encode_end({0}));
	auto out = drain(source, 64);
	CHECK_FALSE(out.error);
	REQUIRE(out.messages.size() == 2);
	CHECK(out.messages[0].type == ReplyType::Pong);
	protocol::Pong pong;
	REQUIRE(protocol::decode_pong(out.messages[0].payload, pong) == protocol::Status::Ok);
	CHECK(pong.server_version == "v");
	CHECK(end_total(out.messages[1]) == 0);
	std::vector<std::uint8_t> buf(64);
	auto after = source.next(buf); // done stays done
	REQUIRE(after);
	CHECK(after->done);
}

TEST_CASE("a fixed message larger than the queue's messages is EMSGSIZE, and stays so")
{
	FixedSource source;
	std::vector<std::uint8_t> big(600, 'x');
	source.add(ReplyType::Status, big);
	std::vector<std::uint8_t> buf(500);
	for (int i = 0; i < 2; i++) {
		auto r = source.next(buf);
		REQUIRE_FALSE(r);
		CHECK(r.error().code == EMSGSIZE);
	}
	std::vector<std::uint8_t> enough(600);
	auto fits = source.next(enough);
	REQUIRE(fits);
	CHECK(fits->size == 600);
}

TEST_CASE("error_reply: one ERROR, its text cut to what the message holds")
{
	constexpr std::size_t kMax = 40;
	auto source = error_reply(ENOENT, std::string(500, 'n'), kMax);
	auto out = drain(*source, kMax);
	CHECK_FALSE(out.error);
	REQUIRE(out.messages.size() == 1);
	REQUIRE(out.messages[0].type == ReplyType::Error);
	protocol::Error e;
	REQUIRE(protocol::decode_error(out.messages[0].payload, e) == protocol::Status::Ok);
	CHECK(e.code == ENOENT);
	CHECK(e.text == std::string(kMax - protocol::kErrorFixedSize, 'n'));

	auto short_text = error_reply(EIO, "io", kMax);
	auto whole = drain(*short_text, kMax);
	REQUIRE(whole.messages.size() == 1);
	REQUIRE(protocol::decode_error(whole.messages[0].payload, e) == protocol::Status::Ok);
	CHECK(e.text == "io");
}

TEST_CASE_FIXTURE(OpFixture, "GET over several messages: META, DATA made again until sent, END")
{
	const std::string bytes = pattern(350);
	root.write("f", bytes);
	auto source = start(protocol::Op::Get, "f");
	REQUIRE(source);
	std::vector<std::uint64_t> bytes_counted;
	auto out = drain(**source, max_payload, [&](std::size_t) { bytes_counted.push_back(stats.bytes); });
	CHECK_FALSE(out.error);
	// META, 100 + 100 + 100 + 50, END.
	REQUIRE(out.messages.size() == 6);
	auto meta = meta_of(out.messages[0]);
	CHECK(meta.size == 350);
	CHECK(meta.offset == 0);
	CHECK(meta.length == 350);
	CHECK(meta.chunk_size == max_payload);
	std::string data;
	for (std::size_t i = 1; i < 5; i++) {
		REQUIRE(out.messages[i].type == ReplyType::Data);
		CHECK(out.messages[i].payload.size() == (i < 4 ? 100 : 50));
		data += text_of(out.messages[i]);
	}
	CHECK(data == bytes);
	CHECK(end_total(out.messages[5]) == 350);
	// File bytes count once each, when their message is sent.
	CHECK(bytes_counted == std::vector<std::uint64_t>{0, 100, 200, 300, 350, 350});
}

TEST_CASE_FIXTURE(OpFixture, "GET of a range: META says which bytes, DATA carries exactly those")
{
	const std::string bytes = pattern(500);
	root.write("f", bytes);
	auto source = start(protocol::Op::Get, "f", 120, 230);
	REQUIRE(source);
	auto out = drain(**source, max_payload);
	CHECK_FALSE(out.error);
	REQUIRE(out.messages.size() == 5); // META, 100 + 100 + 30, END
	auto meta = meta_of(out.messages[0]);
	CHECK(meta.size == 500);
	CHECK(meta.offset == 120);
	CHECK(meta.length == 230);
	std::string data;
	for (std::size_t i = 1; i < 4; i++)
		data += text_of(out.messages[i]);
	CHECK(data == bytes.substr(120, 230));
	CHECK(end_total(out.messages[4]) == 230);
	CHECK(stats.bytes == 230);
}

TEST_CASE_FIXTURE(OpFixture,
                  "GET of a range past the end: cut at the end; at the end: no DATA; beyond: ERANGE")
{
	root.write("f", pattern(150));
	auto tail = start(protocol::Op::Get, "f", 90, 1000);
	REQUIRE(tail);
	auto out = drain(**tail, max_payload);
	REQUIRE(out.messages.size() == 3);
	CHECK(meta_of(out.messages[0]).length == 60);
	CHECK(text_of(out.messages[1]) == pattern(150).substr(90));
	CHECK(end_total(out.messages[2]) == 60);

	auto at_end = start(protocol::Op::Get, "f", 150);
	REQUIRE(at_end);
	auto empty = drain(**at_end, max_payload);
	REQUIRE(empty.messages.size() == 2);
	CHECK(meta_of(empty.messages[0]).length == 0);
	CHECK(end_total(empty.messages[1]) == 0);

	auto beyond = start(protocol::Op::Get, "f", 151);
	REQUIRE_FALSE(beyond);
	CHECK(beyond.error().code == ERANGE);
}

TEST_CASE_FIXTURE(OpFixture, "GET of a file rewritten between two messages ends with ESTALE, never END")
{
	const std::size_t size = 450;
	root.write("f", std::string(size, 'a'));
	root.age("f");
	auto source = start(protocol::Op::Get, "f");
	REQUIRE(source);
	auto out = drain(**source, max_payload, [&](std::size_t sent) {
		if (sent == 2) // META and the first DATA are out: same size, new bytes
			root.overwrite("f", std::string(size, 'b'));
	});
	REQUIRE(out.error);
	CHECK(out.error->code == ESTALE);
	CHECK(out.error->why == "file changed while it was sent");
	for (const Made &m : out.messages)
		CHECK(m.type != ReplyType::End);
}

TEST_CASE_FIXTURE(OpFixture, "GET of a range one message holds: read and checked before META")
{
	// Rewritten after the start, between META and DATA: the bytes read at
	// the start go out with END (a snapshot taken whole), where a read at
	// DATA would have found the new bytes and ended with ESTALE.
	root.write("f", std::string(80, 'a'));
	root.age("f");
	auto source = start(protocol::Op::Get, "f");
	REQUIRE(source);
	auto out = drain(**source, max_payload, [&](std::size_t sent) {
		if (sent == 1)
			root.overwrite("f", std::string(80, 'b'));
	});
	CHECK_FALSE(out.error);
	REQUIRE(out.messages.size() == 3);
	CHECK(meta_of(out.messages[0]).length == 80);
	CHECK(text_of(out.messages[1]) == std::string(80, 'a'));
	CHECK(end_total(out.messages[2]) == 80);
	CHECK(stats.bytes == 80);
}

TEST_CASE_FIXTURE(OpFixture, "GET of a file that shrinks while it is sent ends with ESTALE")
{
	root.write("f", pattern(450));
	auto source = start(protocol::Op::Get, "f");
	REQUIRE(source);
	auto out = drain(**source, max_payload, [&](std::size_t sent) {
		if (sent == 2)
			REQUIRE(truncate((root.path + "/f").c_str(), 150) == 0);
	});
	REQUIRE(out.error);
	CHECK(out.error->code == ESTALE);
	// META, then DATA up to where the file ended: nothing beyond it.
	std::string data;
	for (const Made &m : out.messages) {
		CHECK(m.type != ReplyType::End);
		if (m.type == ReplyType::Data)
			data += text_of(m);
	}
	CHECK(data == pattern(450).substr(0, 150));
}

TEST_CASE_FIXTURE(OpFixture,
                  "LIST of more entries than a message holds: each ENTRIES made again, END counts all")
{
	REQUIRE(mkdir((root.path + "/d").c_str(), 0755) == 0);
	std::set<std::string> names;
	for (int i = 0; i < 40; i++) {
		std::string name =
		        "entry-" + std::to_string(i) + std::string(static_cast<std::size_t>(i % 7), 'x');
		root.write("d/" + name, std::string(static_cast<std::size_t>(i), 'z'));
		names.insert(name);
	}
	root.write("d/hidden.secret", "s");
	root.ctx->config.access.deny = {"*.secret"};
	auto source = start(protocol::Op::List, "d");
	REQUIRE(source);
	auto out = drain(**source, max_payload);
	CHECK_FALSE(out.error);
	REQUIRE(out.messages.size() >= 4);
	CHECK(S_ISDIR(meta_of(out.messages.front()).mode));
	std::multiset<std::string> listed;
	for (std::size_t i = 1; i + 1 < out.messages.size(); i++) {
		REQUIRE(out.messages[i].type == ReplyType::Entries);
		CHECK(out.messages[i].payload.size() <= max_payload);
		std::vector<protocol::Entry> entries;
		REQUIRE(protocol::decode_entries(out.messages[i].payload, entries) == protocol::Status::Ok);
		CHECK_FALSE(entries.empty());
		for (const auto &e : entries) {
			listed.insert(e.name);
			CHECK(e.size == std::stoul(e.name.substr(6)));
		}
	}
	CHECK(out.messages.size() > 3); // more than one ENTRIES message
	CHECK(listed == std::multiset<std::string>(names.begin(), names.end()));
	CHECK(end_total(out.messages.back()) == names.size());
}

TEST_CASE_FIXTURE(OpFixture, "LIST of an empty directory: META, END 0")
{
	REQUIRE(mkdir((root.path + "/empty").c_str(), 0755) == 0);
	auto source = start(protocol::Op::List, "empty");
	REQUIRE(source);
	auto out = drain(**source, max_payload);
	CHECK_FALSE(out.error);
	REQUIRE(out.messages.size() == 2);
	CHECK(out.messages[0].type == ReplyType::Meta);
	CHECK(end_total(out.messages[1]) == 0);
}

TEST_CASE_FIXTURE(OpFixture, "STAT: META of the object, END; STATUS too large for a message: EMSGSIZE")
{
	root.write("f", pattern(77));
	auto source = start(protocol::Op::Stat, "f");
	REQUIRE(source);
	auto out = drain(**source, max_payload);
	REQUIRE(out.messages.size() == 2);
	auto meta = meta_of(out.messages[0]);
	CHECK(meta.size == 77);
	CHECK(S_ISREG(meta.mode));
	CHECK(end_total(out.messages[1]) == 0);

	auto status = start_status(std::string(max_payload + 1, ' '), max_payload);
	REQUIRE_FALSE(status);
	CHECK(status.error().code == EMSGSIZE);
	auto fits = start_status("{}", max_payload);
	REQUIRE(fits);
	auto reply = drain(**fits, max_payload);
	REQUIRE(reply.messages.size() == 2);
	CHECK(reply.messages[0].type == ReplyType::Status);
	CHECK(text_of(reply.messages[0]) == "{}");
}

TEST_SUITE_END();
