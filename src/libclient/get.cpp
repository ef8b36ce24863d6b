// SPDX-License-Identifier: MIT
// GET: file data into a descriptor or through the caller's callback.

#include <climits>

#include "libclient/errors.h"
#include "libclient/session.h"
#include "util/errno-util.h"
#include "util/io.h"

using namespace fileserver;
using capi::fail;
using capi::guarded;
using capi::invalid;

namespace {

// Runs the GET with @sink; the caller's @st gets the META before any data.
// @sink_error receives the errno with which the sink stopped the transfer.
Result<void> run_get(fileserver_session *s, const char *path, std::uint64_t offset, std::uint64_t length,
                     struct fileserver_stat *st, const Client::DataSink &sink)
{
	auto on_meta = [&](const protocol::Meta &meta) {
		if (st != nullptr)
			capi::to_c_stat(meta, *st);
	};
	std::lock_guard hold(s->lock);
	return s->client.get(path, offset, length, on_meta, sink);
}

const char *check_common(fileserver_session *s, const char *path)
{
	if (s == nullptr)
		return "session is NULL";
	if (path == nullptr)
		return "path is NULL";
	return nullptr;
}

} // namespace

FILESERVER_API int fileserver_get_fd(fileserver_session *s, const char *path, std::uint64_t offset,
                                     std::uint64_t length, int fd, struct fileserver_stat *st)
{
	return guarded([&] {
		if (const char *bad = check_common(s, path))
			return invalid("fileserver_get_fd", bad);
		if (fd < 0)
			return invalid("fileserver_get_fd", "fd is negative");
		int write_error = 0;
		auto r = run_get(s, path, offset, length, st, [&](std::span<const std::uint8_t> data) {
			write_error = write_all(fd, data);
			return write_error;
		});
		if (!r && write_error != 0)
			return fail(EIO, "cannot write to descriptor " + std::to_string(fd) + ": " +
			                         errno_string(-write_error));
		return r ? 0 : fail(r.error());
	});
}

FILESERVER_API int fileserver_get_cb(fileserver_session *s, const char *path, std::uint64_t offset,
                                     std::uint64_t length, fileserver_data_fn fn, void *ctx,
                                     struct fileserver_stat *st)
{
	return guarded([&] {
		if (const char *bad = check_common(s, path))
			return invalid("fileserver_get_cb", bad);
		if (fn == nullptr)
			return invalid("fileserver_get_cb", "fn is NULL");
		std::uint64_t at = offset;
		int aborted = 0;
		auto r = run_get(s, path, offset, length, st, [&](std::span<const std::uint8_t> data) {
			int e = fn(ctx, at, data.data(), data.size());
			if (e < 0) {
				aborted = e == INT_MIN ? -EIO : e;
				return aborted;
			}
			at += data.size();
			return 0;
		});
		// The callback's own code comes back to the caller, as it chose it.
		if (!r && aborted != 0)
			return fail(-aborted, "transfer aborted by the callback: " + errno_string(-aborted));
		return r ? 0 : fail(r.error());
	});
}

FILESERVER_API int fileserver_get_ahead(fileserver_session *s, const char *path, std::uint64_t offset,
                                        std::uint64_t length)
{
	return guarded([&] {
		if (const char *bad = check_common(s, path))
			return invalid("fileserver_get_ahead", bad);
		std::lock_guard hold(s->lock);
		auto r = s->client.get_ahead(path, offset, length);
		return r ? 0 : fail(r.error());
	});
}
