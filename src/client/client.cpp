// SPDX-License-Identifier: MIT
#include "client/client.h"

#include <algorithm>
#include <mutex>

#include "client/session.h"

#include "util/errno-util.h"
#include "util/time-util.h"

namespace fileserver {

using protocol::Op;
using protocol::ReplyType;
using protocol::Status;

namespace {

using Payload = std::span<const std::uint8_t>;

protocol::Request request(Op op, const std::string &path = {})
{
	protocol::Request req;
	req.op = op;
	req.path = path;
	return req;
}

// A request whose reply is one message of type @first, then END.
Result<void> single(Exchange &ex, const protocol::Request &req, ReplyType first,
                    const std::function<Result<void>(Payload)> &decode)
{
	if (auto r = ex.start(req); !r)
		return r;
	return ex.read_stream(
	        first, std::nullopt, [&](ReplyType, Payload p) { return decode(p); }, nullptr);
}

} // namespace

struct Client::Ahead {
	std::uint64_t id = 0; // the request's; 0: none pending
	std::string path;
	std::uint64_t offset = 0;
	std::uint64_t length = 0;

	[[nodiscard]] bool same_get(const GetKey &k) const
	{
		return path == k.path && offset == k.offset && length == k.length;
	}
};

struct Client::SessionSlot {
	std::mutex lock;
	std::unique_ptr<Session> session; // null until the first call, or after a failed one
	Ahead ahead;                      // sent on session

	void drop_session()
	{
		session.reset();
		ahead = {};
	}

	// With the lock held: opens a session unless a usable one is open.
	// True if it opened one.
	Result<bool> ensure(const ClientOptions &options, ClientShared &shared, std::uint64_t &foreign)
	{
		if (session && session->usable())
			return false;
		drop_session();
		auto s = Session::open(options, shared, foreign);
		if (!s)
			return s.take_error();
		session = std::move(*s);
		return true;
	}
};

Client::Client(ClientOptions options)
        : options_(std::move(options)), shared_(std::make_shared<ClientShared>()),
          slot_(std::make_unique<SessionSlot>())
{}

Client::Client(const Client &other)
        : options_(other.options_), shared_(other.shared_), slot_(std::make_unique<SessionSlot>()),
          foreign_(other.foreign_.load())
{}

Client &Client::operator=(const Client &other)
{
	if (this != &other) {
		std::lock_guard guard(slot_->lock);
		slot_->drop_session(); // opened with the old options
		options_ = other.options_;
		shared_ = other.shared_;
		foreign_.store(other.foreign_.load());
	}
	return *this;
}

Client::~Client() = default;

Result<void> Client::call(const std::function<Result<void>(Exchange &)> &body, const GetKey *takes) const
{
	std::lock_guard guard(slot_->lock);
	std::unique_ptr<Session> &session = slot_->session;
	// The pending GET's replies come first: no other call can read past
	// them without reading them.
	if (slot_->ahead.id != 0 && !(takes && slot_->ahead.same_get(*takes)))
		slot_->drop_session();
	std::uint64_t foreign = 0;
	for (bool retried = false;; retried = true) {
		auto opened = slot_->ensure(options_, *shared_, foreign);
		if (!opened) {
			foreign_.store(foreign);
			return opened.take_error();
		}
		bool fresh = *opened;
		Exchange ex(options_, *shared_, *session, foreign);
		auto r = body(ex);
		if (ex.finished()) {
			session->used();
			foreign_.store(foreign);
			return r;
		}
		// Closed (its transfer aborted): what is left of this call's
		// stream must not meet the next call.
		slot_->drop_session();
		if (!r && r.error().code == kErrTimedOut && ex.unanswered() && !fresh && !retried)
			continue;
		foreign_.store(foreign);
		return r;
	}
}

Result<void> Client::connect() const
{
	std::lock_guard guard(slot_->lock);
	std::uint64_t foreign = 0;
	auto opened = slot_->ensure(options_, *shared_, foreign);
	if (!opened || *opened)
		foreign_.store(foreign);
	if (!opened)
		return opened.take_error();
	return {};
}

Result<PingInfo> Client::ping() const
{
	PingInfo out;
	auto r = call([&](Exchange &ex) {
		auto t0 = monotonic_usec();
		return single(ex, request(Op::Ping), ReplyType::Pong, [&](Payload p) -> Result<void> {
			if (protocol::decode_pong(p, out.pong) != Status::Ok)
				return bad_reply("pong");
			out.round_trip = std::chrono::microseconds(monotonic_usec() - t0);
			return {};
		});
	});
	if (!r)
		return r.take_error();
	return out;
}

Result<std::string> Client::status() const
{
	std::string json;
	auto r = call([&](Exchange &ex) {
		return single(ex, request(Op::Status), ReplyType::Status, [&](Payload p) -> Result<void> {
			json.assign(reinterpret_cast<const char *>(p.data()), p.size());
			return {};
		});
	});
	if (!r)
		return r.take_error();
	return json;
}

Result<protocol::Meta> Client::stat(const std::string &path) const
{
	protocol::Meta out;
	auto r = call([&](Exchange &ex) {
		return single(ex, request(Op::Stat, path), ReplyType::Meta, [&](Payload p) -> Result<void> {
			if (protocol::decode_meta(p, out) != Status::Ok)
				return bad_reply("metadata");
			return {};
		});
	});
	if (!r)
		return r.take_error();
	return out;
}

Result<Listing> Client::list(const std::string &path) const
{
	Listing out;
	auto on_message = [&](ReplyType type, Payload p) -> Result<void> {
		if (type == ReplyType::Meta && protocol::decode_meta(p, out.dir) != Status::Ok)
			return bad_reply("metadata");
		if (type == ReplyType::Entries && protocol::decode_entries(p, out.entries) != Status::Ok)
			return bad_reply("directory entries");
		return {};
	};
	auto r = call([&](Exchange &ex) -> Result<void> {
		out = Listing();
		if (auto s = ex.start(request(Op::List, path)); !s)
			return s;
		return ex.read_stream(ReplyType::Meta, ReplyType::Entries, on_message,
		                      [&] { return static_cast<std::uint64_t>(out.entries.size()); });
	});
	if (!r)
		return r.take_error();
	return out;
}

Result<void> Client::get(const std::string &path, std::uint64_t offset, std::uint64_t length,
                         const MetaHandler &on_meta, const DataSink &sink) const
{
	protocol::Request req = request(Op::Get, path);
	req.offset = offset;
	req.length = length;
	protocol::Meta meta;
	std::uint64_t received = 0;
	auto on_message = [&](ReplyType type, Payload p) -> Result<void> {
		if (type == ReplyType::Meta) {
			if (protocol::decode_meta(p, meta) != Status::Ok)
				return bad_reply("metadata");
			std::uint64_t expected =
			        std::min(length, meta.size >= offset ? meta.size - offset : 0);
			if (meta.offset != offset || meta.length != expected)
				return protocol_error("the server announced another range than requested");
			if (on_meta)
				on_meta(meta);
			return {};
		}
		if (p.size() > meta.length - received)
			return protocol_error("the server sent more data than announced");
		if (int e = sink(p); e < 0)
			return Error{kErrLocal, "cannot write output: " + errno_string(e)};
		received += p.size();
		return {};
	};
	const GetKey mine{path, offset, length};
	bool took_ahead = false;
	auto run = [&](Exchange &ex) -> Result<void> {
		took_ahead = slot_->ahead.id != 0;
		if (took_ahead) {
			ex.adopt(slot_->ahead.id);
			slot_->ahead = {};
		} else if (auto s = ex.start(req); !s) {
			return s;
		}
		return ex.read_stream(ReplyType::Meta, ReplyType::Data, on_message, [&] { return received; });
	};
	auto r = call(run, &mine);
	// Sent ahead, it found the server busy; now it may not be.
	if (!r && took_ahead && r.error().code == EBUSY)
		r = call(run);
	if (r && received != meta.length)
		return protocol_error("transfer incomplete: received " + std::to_string(received) + " of " +
		                      std::to_string(meta.length) + " bytes");
	return r;
}

Result<void> Client::get_ahead(const std::string &path, std::uint64_t offset, std::uint64_t length) const
{
	std::lock_guard guard(slot_->lock);
	if (slot_->ahead.id != 0)
		return {};
	std::uint64_t foreign = 0;
	auto opened = slot_->ensure(options_, *shared_, foreign);
	if (!opened)
		return opened.take_error();
	protocol::Request req = request(Op::Get, path);
	req.offset = offset;
	req.length = length;
	Exchange ex(options_, *shared_, *slot_->session, foreign);
	auto r = ex.start(req);
	if (r)
		slot_->ahead = {ex.id(), path, offset, length};
	else if (!ex.finished())
		slot_->drop_session();
	return r;
}

} // namespace fileserver
