// SPDX-License-Identifier: MIT
#include "client-calls.h"

#include <chrono>

#include "client/client.h"

namespace fileserver::bench {

BenchClient::BenchClient(const std::string &queue)
        : client_(std::make_unique<Client>(ClientOptions{queue, std::chrono::milliseconds(10000)}))
{}

BenchClient::~BenchClient() = default;

Result<Received> BenchClient::get(const std::string &name, std::uint64_t length, const OnData &on_data) const
{
	Received got;
	auto r = client_->get(
	        name, 0, length, [&](const protocol::Meta &m) { got.chunk_size = m.chunk_size; },
	        [&](std::span<const std::uint8_t> data) {
		        got.bytes += data.size();
		        if (on_data)
			        on_data(got.bytes);
		        return 0;
	        });
	if (!r.ok())
		return r.take_error();
	return got;
}

Result<double> BenchClient::ping_usec() const
{
	auto r = client_->ping();
	if (!r.ok())
		return r.take_error();
	return static_cast<double>(r->round_trip.count());
}

Result<std::string> BenchClient::status() const
{
	return client_->status();
}

ReplyQueueShape reply_queue_shape()
{
	ReplyQueueSize rq = preferred_reply_queue_size();
	return {rq.max_messages, rq.message_size};
}

} // namespace fileserver::bench
