// SPDX-License-Identifier: MIT
#include "client-calls.h"

#include <cerrno>
#include <chrono>

#include "client/client.h"

namespace fileserver::bench {

namespace {

Error to_error(const ClientResult &r)
{
	return Error::from_errno(r.code != 0 ? r.code : EIO, r.message);
}

} // namespace

BenchClient::BenchClient(const std::string &queue)
        : client_(std::make_unique<Client>(ClientOptions{queue, std::chrono::milliseconds(10000)}))
{}

BenchClient::~BenchClient() = default;

Result<Received> BenchClient::get(const std::string &name, std::uint64_t length) const
{
	Received got;
	auto r = client_->get(
	        name, 0, length, [&](const protocol::Meta &m) { got.chunk_size = m.chunk_size; },
	        [&](std::span<const std::uint8_t> data) {
		        got.bytes += data.size();
		        return 0;
	        });
	if (!r.ok())
		return to_error(r);
	return got;
}

Result<double> BenchClient::ping_usec() const
{
	PingInfo ping;
	auto r = client_->ping(ping);
	if (!r.ok())
		return to_error(r);
	return static_cast<double>(ping.round_trip.count());
}

ReplyQueueShape reply_queue_shape()
{
	ReplyQueueSize rq = preferred_reply_queue_size();
	return {rq.max_messages, rq.message_size};
}

} // namespace fileserver::bench
