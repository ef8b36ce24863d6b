// SPDX-License-Identifier: MIT
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <memory>
#include <string>

#include "protocol/wire.h"
#include "server/reply-source.h"
#include "server/serving-context.h"
#include "util/error.h"

namespace fileserver {

// What an operation works on: the request, the context it was accepted
// under, the client's uid (the owner of its reply queue), and the largest
// payload one message of its reply queue carries.
struct OpRequest {
	const protocol::Request &request;
	const ServingContext &context;
	uid_t uid;
	ServerStats &stats;
	std::size_t max_payload;
};

// The operations. Each checks the request and opens what it serves, then
// returns the source of its reply's messages, or the error that the
// caller (transfer.cpp) answers with ERROR: every request ends in one place.
using SourceResult = Result<std::unique_ptr<ReplySource>>;
SourceResult start_ping();
// @status: the server's statistics as a JSON object.
SourceResult start_status(const std::string &status, std::size_t max_payload);
SourceResult start_stat(const OpRequest &op);
// A consistent snapshot of the file or an ESTALE error (docs/protocol.md, "GET").
SourceResult start_get(const OpRequest &op);
SourceResult start_list(const OpRequest &op);

// The error an operation ends with when shutdown cuts it off.
Error shutting_down();
// META for @st; DATA payloads will be at most @chunk_size bytes.
protocol::Meta meta_from_stat(const struct stat &st, std::size_t chunk_size);

} // namespace fileserver
