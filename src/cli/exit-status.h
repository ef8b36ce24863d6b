// SPDX-License-Identifier: MIT
#pragma once

// fileserverctl's exit status, documented in fileserverctl(1), "EXIT STATUS".

#include "util/error.h"

namespace fileserver::cli {

enum class ExitStatus : int {
	Ok = 0,
	Failed = 1, // local error (output, mqueue budget), a server-side I/O error, a file that changed
	Usage = 2,
	NotFound = 3,
	Refused = 4,     // refused path or request
	Unreachable = 5, // no server, or it timed out, or it is shutting down
	Protocol = 6,    // malformed or inconsistent reply stream
	Busy = 7,        // the server is saturated: try again later
};

// The status for a failed client call: the client's own codes
// (client/exchange.h) first, then the server's errno by its class
// (protocol/errors.h).
ExitStatus exit_status(const Error &error);

inline int to_int(ExitStatus s)
{
	return static_cast<int>(s);
}

} // namespace fileserver::cli
