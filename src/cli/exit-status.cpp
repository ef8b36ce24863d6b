// SPDX-License-Identifier: MIT
#include "cli/exit-status.h"

#include <cerrno>
#include <cstdint>

#include "protocol/errors.h"

namespace fileserver::cli {

ExitStatus exit_status(const Error &error)
{
	// The library's own codes (fileserver/client.h), none of which the
	// server sends.
	switch (error.code) {
	case 0: return ExitStatus::Ok;
	case ECONNREFUSED: // no server queue
	case EHOSTUNREACH: // server queue not writable
	case ETIMEDOUT: return ExitStatus::Unreachable;
	case EPROTO:
	case EBADMSG: return ExitStatus::Protocol;
	default: break;
	}
	switch (protocol::classify_error(static_cast<std::uint32_t>(error.code))) {
	case protocol::ErrorClass::NotFound: return ExitStatus::NotFound;
	case protocol::ErrorClass::Refused: return ExitStatus::Refused;
	case protocol::ErrorClass::Busy: return ExitStatus::Busy;
	case protocol::ErrorClass::Unavailable: return ExitStatus::Unreachable;
	case protocol::ErrorClass::Failed: return ExitStatus::Failed;
	}
	return ExitStatus::Failed;
}

int severity(ExitStatus s)
{
	switch (s) {
	case ExitStatus::Ok: return 0;
	case ExitStatus::NotFound: return 1;
	case ExitStatus::Refused: return 2;
	case ExitStatus::Busy: return 3;
	case ExitStatus::Failed: return 4;
	case ExitStatus::Unreachable: return 5;
	case ExitStatus::Protocol: return 6;
	case ExitStatus::Usage: return 7;
	}
	return 4;
}

ExitStatus worst(ExitStatus a, ExitStatus b)
{
	return severity(b) > severity(a) ? b : a;
}

} // namespace fileserver::cli
