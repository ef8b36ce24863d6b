// SPDX-License-Identifier: MIT
#include "client/client.h"

#include <algorithm>

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

Client::Client(ClientOptions options)
        : options_(std::move(options)), shared_(std::make_shared<ClientShared>())
{}

Result<PingInfo> Client::ping() const
{
	auto t0 = monotonic_usec();
	Exchange ex(options_, *shared_, foreign_);
	PingInfo out;
	auto r = single(ex, request(Op::Ping), ReplyType::Pong, [&](Payload p) -> Result<void> {
		if (protocol::decode_pong(p, out.pong) != Status::Ok)
			return bad_reply("pong");
		out.round_trip = std::chrono::microseconds(monotonic_usec() - t0);
		return {};
	});
	if (!r)
		return r.take_error();
	return out;
}

Result<std::string> Client::status() const
{
	Exchange ex(options_, *shared_, foreign_);
	std::string json;
	auto r = single(ex, request(Op::Status), ReplyType::Status, [&](Payload p) -> Result<void> {
		json.assign(reinterpret_cast<const char *>(p.data()), p.size());
		return {};
	});
	if (!r)
		return r.take_error();
	return json;
}

Result<protocol::Meta> Client::stat(const std::string &path) const
{
	Exchange ex(options_, *shared_, foreign_);
	protocol::Meta out;
	auto r = single(ex, request(Op::Stat, path), ReplyType::Meta, [&](Payload p) -> Result<void> {
		if (protocol::decode_meta(p, out) != Status::Ok)
			return bad_reply("metadata");
		return {};
	});
	if (!r)
		return r.take_error();
	return out;
}

Result<Listing> Client::list(const std::string &path) const
{
	Exchange ex(options_, *shared_, foreign_);
	if (auto r = ex.start(request(Op::List, path)); !r)
		return r.take_error();
	Listing out;
	auto on_message = [&](ReplyType type, Payload p) -> Result<void> {
		if (type == ReplyType::Meta && protocol::decode_meta(p, out.dir) != Status::Ok)
			return bad_reply("metadata");
		if (type == ReplyType::Entries && protocol::decode_entries(p, out.entries) != Status::Ok)
			return bad_reply("directory entries");
		return {};
	};
	auto r = ex.read_stream(ReplyType::Meta, ReplyType::Entries, on_message,
	                        [&] { return static_cast<std::uint64_t>(out.entries.size()); });
	if (!r)
		return r.take_error();
	return out;
}

Result<void> Client::get(const std::string &path, std::uint64_t offset, std::uint64_t length,
                         const MetaHandler &on_meta, const DataSink &sink) const
{
	Exchange ex(options_, *shared_, foreign_);
	protocol::Request req = request(Op::Get, path);
	req.offset = offset;
	req.length = length;
	if (auto r = ex.start(req); !r)
		return r;
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
	auto r = ex.read_stream(ReplyType::Meta, ReplyType::Data, on_message, [&] { return received; });
	if (r && received != meta.length)
		return protocol_error("transfer incomplete: received " + std::to_string(received) + " of " +
		                      std::to_string(meta.length) + " bytes");
	return r;
}

} // namespace fileserver
