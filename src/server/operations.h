// SPDX-License-Identifier: MIT
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <functional>
#include <string>

#include "protocol/wire.h"
#include "server/reply-stream.h"
#include "server/serving-context.h"
#include "util/error.h"

namespace fileserver {

// What an operation works on: the request, the context it was accepted
// under, and the client's uid (the owner of its reply queue).
struct OpRequest {
	const protocol::Request &request;
	const ServingContext &context;
	uid_t uid;
	ServerStats &stats;
};

// The operations. Each streams its reply into @out and returns an error
// instead of sending ERROR itself: the caller (transfer.cpp) ends every
// request in one place. An error with out.lost() set means the client is gone.
Result<void> serve_ping(ReplyStream &out);
// @status: the server's statistics as a JSON object.
Result<void> serve_status(ReplyStream &out, const std::string &status);
Result<void> serve_stat(ReplyStream &out, const OpRequest &op);
// A consistent snapshot of the file or an ESTALE error (docs/protocol.md, "GET").
Result<void> serve_get(ReplyStream &out, const OpRequest &op);
Result<void> serve_list(ReplyStream &out, const OpRequest &op);

// The error an operation returns when shutdown cuts it off.
Error shutting_down();
// META for @st; DATA payloads will be at most @chunk_size bytes.
protocol::Meta meta_from_stat(const struct stat &st, std::size_t chunk_size);

} // namespace fileserver
