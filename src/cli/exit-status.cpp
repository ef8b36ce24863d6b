// SPDX-License-Identifier: MIT
#include "cli/exit-status.h"

#include <cstdint>

#include "client/exchange.h"
#include "protocol/errors.h"

namespace fileserver::cli {

ExitStatus exit_status(const Error &error)
{
	switch (error.code) {
	case 0: return ExitStatus::Ok;
	case kErrNoServer:
	case kErrUnreachable:
	case kErrTimedOut: return ExitStatus::Unreachable;
	case kErrProtocol:
	case kErrBadReply: return ExitStatus::Protocol;
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

} // namespace fileserver::cli
