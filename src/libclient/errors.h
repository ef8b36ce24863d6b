// SPDX-License-Identifier: MIT
#pragma once

// The C boundary: every exported call runs its body through guarded(), so
// that no exception leaves the library, and reports failures through fail(),
// which sets the calling thread's message and returns -errno.

#include <cerrno>
#include <exception>
#include <new>
#include <string>

#include "util/error.h"

// Only these symbols leave the shared object (with the version script).
#define FILESERVER_API extern "C" __attribute__((visibility("default")))

namespace fileserver::capi {

// Sets the thread's message (escaped for a terminal: it may carry paths and
// the server's text) and returns -code. Never throws.
int fail(int code, const std::string &why) noexcept;
int fail(const Error &error) noexcept;
// A bad argument: -EINVAL, the message naming the call and the argument.
int invalid(const char *call, const char *what) noexcept;

template<typename F>
int guarded(F &&body) noexcept
{
	try {
		return body();
	} catch (const std::bad_alloc &) {
		return fail(ENOMEM, "out of memory");
	} catch (const std::exception &e) {
		return fail(EIO, std::string("internal error: ") + e.what());
	} catch (...) {
		return fail(EIO, "internal error");
	}
}

} // namespace fileserver::capi
