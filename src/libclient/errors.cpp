// SPDX-License-Identifier: MIT
#include "libclient/errors.h"

#include "util/errno-util.h"

#include "fileserver/client.h"
#include "util/text.h"

namespace fileserver::capi {

namespace {

// The message lives in a thread-local string; when even that cannot be
// allocated, the pointer names a static text instead.
thread_local std::string message;
thread_local const char *current = "";

void set_static(const char *text) noexcept
{
	current = text;
}

} // namespace

int fail(int code, const std::string &why) noexcept
{
	if (code <= 0)
		code = EIO;
	try {
		message = escape_for_terminal(why.empty() ? errno_string(code) : why);
		current = message.c_str();
	} catch (...) {
		set_static(code == ENOMEM ? "out of memory" : "error (no memory left to describe it)");
	}
	return -code;
}

int fail(const Error &error) noexcept
{
	return fail(error.code, error.why);
}

int invalid(const char *call, const char *what) noexcept
{
	try {
		return fail(EINVAL, std::string(call) + ": " + what);
	} catch (...) {
		set_static("invalid argument");
		return -EINVAL;
	}
}

} // namespace fileserver::capi

FILESERVER_API const char *fileserver_error_message(void)
{
	return fileserver::capi::current;
}
