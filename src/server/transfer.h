// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "server/job.h"
#include "server/reply-source.h"
#include "server/reply-stream.h"
#include "server/request-log.h"
#include "server/serving-context.h"
#include "util/error.h"

namespace fileserver {

// What every transfer of a server shares.
struct TransferEnv {
	ServerStats &stats;
	// The server's statistics as a JSON object, for STATUS.
	std::function<std::string()> status;
	// True once shutdown gives up waiting: transfers end with ESHUTDOWN.
	const std::atomic<bool> &aborting;
};

// One request of a session, served in its reply queue by whichever thread
// has room to send it: the dispatcher that received it, or an engine thread
// once a full queue has room again. It runs the operation, turns its error
// into the ERROR reply and ends the request in one place (statistics and
// its one log record). Nothing a request holds ends the server: an
// exception fails that request only (ERROR EIO if still possible).
class Transfer
{
public:
	Transfer(Job job, const TransferEnv &env);
	Transfer(const Transfer &) = delete;
	Transfer &operator=(const Transfer &) = delete;

	enum class Step {
		Done,  // the reply is complete, or the client is lost
		Full,  // the reply queue is full: pump() again once it has room
		Yield, // @budget messages sent: pump() again after the others' turn
	};
	// Sends what the reply queue takes, at most @budget messages, without
	// waiting.
	Step pump(unsigned budget) noexcept;
	// The client is lost for @why (send timeout, exit, shutdown): the
	// transfer is done, and finish() records why.
	void give_up(Error why) { lost_ = std::move(why); }
	// Counts the request in the statistics and logs it. Once, when done.
	void finish() noexcept;

	[[nodiscard]] const Session &session() const { return *job_.session; }
	[[nodiscard]] uid_t uid() const { return job_.client_uid; }
	[[nodiscard]] std::chrono::milliseconds send_timeout() const;
	// When it last sent a message (or started, before the first).
	[[nodiscard]] std::uint64_t last_sent_usec() const { return last_sent_usec_; }

private:
	void fail(Error err);
	void fail_or_lose(Error err);
	void start();
	Step send(std::span<std::uint8_t> message, unsigned budget);

	Job job_;
	const TransferEnv &env_;
	std::unique_ptr<ReplySource> source_;
	ReplyStream out_;
	std::optional<Error> error_; // the error the reply ends with (ERROR)
	std::optional<Error> lost_;  // why the client is lost, if it is
	std::uint64_t last_sent_usec_;
};

// The log record of @job, with its session's proven uid, id and pid.
RequestRecord record_for(const Job &job);

} // namespace fileserver
