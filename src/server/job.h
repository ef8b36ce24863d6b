// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>

#include "protocol/wire.h"
#include "server/session.h"

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
};

} // namespace fileserver
