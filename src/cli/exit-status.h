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

// The status for a failed client call: the library's own codes
// (fileserver/client.h) first, then the server's errno by its class
// (protocol/errors.h).
ExitStatus exit_status(const Error &error);

// When several files fail, the status is that of the worst failure, in this
// order from worst to least: usage, protocol, unreachable, failed, busy,
// refused, not found (fileserverctl(1), "EXIT STATUS"). What stops the whole
// transfer ranks above what stops one file.
int severity(ExitStatus s);
ExitStatus worst(ExitStatus a, ExitStatus b);

// Failures after which no further request can succeed (no server, a
// protocol error): a transfer of several files stops there.
inline bool stops_everything(ExitStatus s)
{
	return s == ExitStatus::Unreachable || s == ExitStatus::Protocol;
}

inline int to_int(ExitStatus s)
{
	return static_cast<int>(s);
}

} // namespace fileserver::cli
