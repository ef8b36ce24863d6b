// SPDX-License-Identifier: MIT
// Opening and closing a session (and the signal-time removal of what an
// opening leaves meanwhile), and the calls that answer with one message:
// ping, status, stat.

#include "libclient/session.h"

#include <cstdlib>
#include <cstring>
#include <memory>

#include "client/signal-cleanup.h"
#include "libclient/errors.h"

using namespace fileserver;
using capi::fail;
using capi::guarded;
using capi::invalid;

namespace {

constexpr int kDefaultTimeoutMs = 10000;

// A queue name as mq_overview(7) wants it: "/" then 1..254 bytes, no other "/".
bool valid_queue_name(const char *q)
{
	std::size_t n = strlen(q);
	return n >= 2 && n <= 255 && q[0] == '/' && strchr(q + 1, '/') == nullptr;
}

} // namespace

void capi::to_c_stat(const protocol::Meta &meta, struct fileserver_stat &out)
{
	out = {};
	out.size = meta.size;
	out.mode = meta.mode;
	out.uid = meta.uid;
	out.gid = meta.gid;
	out.mtime_sec = meta.mtime_sec;
	out.mtime_nsec = meta.mtime_nsec;
}

FILESERVER_API int fileserver_session_open(const char *queue, int timeout_ms, fileserver_session **out)
{
	return guarded([&] {
		if (out == nullptr)
			return invalid("fileserver_session_open", "out is NULL");
		*out = nullptr;
		if (queue != nullptr && !valid_queue_name(queue))
			return invalid("fileserver_session_open",
			               "a queue name is \"/\" and 1 to 254 bytes without \"/\"");
		ClientOptions options;
		if (queue != nullptr)
			options.queue = queue;
		options.timeout = std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : kDefaultTimeoutMs);
		auto s = std::make_unique<fileserver_session>(std::move(options));
		// The protocol session opens now (OPEN, CHALLENGE), so that a
		// missing, busy or refusing server fails here, not at the first call.
		if (auto r = s->client.connect(); !r)
			return fail(r.error());
		*out = s.release();
		return 0;
	});
}

FILESERVER_API void fileserver_session_close(fileserver_session *s)
{
	// The Client's destructor ends the protocol session; it does not throw.
	delete s;
}

FILESERVER_API void fileserver_signal_cleanup(void)
{
	// The library's registry: reply queue names between their creation and
	// the server's answer (client/session.cpp). Async-signal-safe.
	cleanup_run();
}

FILESERVER_API int fileserver_ping(fileserver_session *s, char *version, std::size_t version_size)
{
	return guarded([&] {
		if (s == nullptr)
			return invalid("fileserver_ping", "session is NULL");
		if (version == nullptr && version_size > 0)
			return invalid("fileserver_ping", "version is NULL but version_size is not 0");
		std::lock_guard hold(s->lock);
		auto r = s->client.ping();
		if (!r)
			return fail(r.error());
		if (version_size > 0) {
			const std::string &v = r->pong.server_version;
			std::size_t n = std::min(v.size(), version_size - 1);
			memcpy(version, v.data(), n);
			version[n] = '\0';
		}
		return 0;
	});
}

FILESERVER_API int fileserver_status(fileserver_session *s, char **json)
{
	return guarded([&] {
		if (s == nullptr || json == nullptr)
			return invalid("fileserver_status",
			               s == nullptr ? "session is NULL" : "json is NULL");
		*json = nullptr;
		std::lock_guard hold(s->lock);
		auto r = s->client.status();
		if (!r)
			return fail(r.error());
		// malloc, not new: the caller frees it with free().
		char *copy = static_cast<char *>(malloc(r->size() + 1));
		if (copy == nullptr)
			return fail(ENOMEM, "out of memory");
		memcpy(copy, r->data(), r->size());
		copy[r->size()] = '\0';
		*json = copy;
		return 0;
	});
}

FILESERVER_API int fileserver_stat(fileserver_session *s, const char *path, struct fileserver_stat *st)
{
	return guarded([&] {
		if (s == nullptr || path == nullptr || st == nullptr)
			return invalid("fileserver_stat", s == nullptr      ? "session is NULL"
			                                  : path == nullptr ? "path is NULL"
			                                                    : "st is NULL");
		std::lock_guard hold(s->lock);
		auto r = s->client.stat(path);
		if (!r)
			return fail(r.error());
		capi::to_c_stat(*r, *st);
		return 0;
	});
}
