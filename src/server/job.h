// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "protocol/wire.h"
#include "server/session.h"
#include "util/error.h"

namespace fileserver {

struct ServingContext;
class Transfer;
using TransferPtr = std::shared_ptr<Transfer>;

// A request taken off the server queue, with the configuration it was
// accepted under: a reload never changes a transfer midway.
struct Job {
	protocol::Request request;
	std::shared_ptr<const ServingContext> context;
	std::uint64_t received_usec = 0;
	// The client's session: its reply queue, and its uid (the queue's
	// owner, proven by the challenge), which fairness keys on.
	SessionRef session;
	uid_t client_uid = static_cast<uid_t>(-1);
	// A request refused (busy, path too long) while its session had others
	// in progress: answered with this ERROR after them, in order.
	std::optional<Error> refusal;
};

enum class SubmitResult {
	Accepted,
	Busy,     // every transfer and the backlog are in use
	UserBusy, // this uid is at its limit of waiting requests
};

// A request taken off the server queue by a thread that then runs it.
struct TakenRequest {
	bool received = false; // false: the queue was empty (or the loop stopped)
	TransferPtr start;     // to run once the taker holds no lock
	bool queued = false;   // it was waiting already: requests come faster than they are taken
};

// Where the dispatcher hands a session's request: the transfer engine (or a
// test's recorder). submit() leaves @job intact unless it is accepted; it
// sets @start when the transfer may start now, and the caller then passes
// it to run() once it holds no lock (a request that waits is started later
// by the sink).
class JobSink
{
public:
	virtual ~JobSink() = default;
	[[nodiscard]] virtual SubmitResult submit(Job &&job, TransferPtr &start) = 0;
	// Runs @transfer on this thread until it is done or parks.
	virtual void run(TransferPtr transfer) = 0;
	// Takes @job, refused with @err, to answer once the requests its
	// session has in progress are answered (so that the ERROR cannot land
	// among their replies); false, and @job untouched, if the session has
	// none (or holds too many refusals): the caller answers at once.
	[[nodiscard]] virtual bool hold_refusal(Job &job, const Error &err)
	{
		(void)job;
		(void)err;
		return false;
	}
};

} // namespace fileserver
