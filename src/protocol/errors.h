// SPDX-License-Identifier: MIT
#pragma once

// What an ERROR reply's errno means, agreed by server (for its logs) and
// client (for its exit status); docs/protocol.md has the table.

#include <cerrno>
#include <cstdint>

namespace fileserver::protocol {

enum class ErrorClass {
	NotFound,    // ENOENT, ENOTDIR
	Refused,     // EPERM, EACCES, EISDIR, EINVAL, ENAMETOOLONG, ERANGE, EMSGSIZE
	Busy,        // EBUSY, EAGAIN: try again later
	Unavailable, // ESHUTDOWN: the server is going away
	Failed,      // ESTALE (the file changed during a GET), EIO, ESRCH and EPROTONOSUPPORT
	             // (OPEN, version 1), anything else
};

constexpr ErrorClass classify_error(std::uint32_t code)
{
	switch (code) {
	case ENOENT:
	case ENOTDIR: return ErrorClass::NotFound;
	case EPERM:
	case EACCES:
	case EISDIR:
	case EINVAL:
	case ENAMETOOLONG:
	case ERANGE:
	case EMSGSIZE: return ErrorClass::Refused;
	case EBUSY:
	case EAGAIN: return ErrorClass::Busy;
	case ESHUTDOWN: return ErrorClass::Unavailable;
	case ESTALE: // not a refusal: the same request may succeed once the file is still
	default: return ErrorClass::Failed;
	}
}

} // namespace fileserver::protocol
