// SPDX-License-Identifier: MIT
#include "cli/session.h"

#include <fileserver/client.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>

#include "util/errno-util.h"

namespace fileserver::cli {

namespace {

// The library's own description of the calling thread's last failure.
Error failure(int rc)
{
	const char *msg = fileserver_error_message();
	return Error::from_errno(rc, msg && *msg ? msg : errno_string(rc));
}

protocol::Meta to_meta(const struct fileserver_stat &st)
{
	protocol::Meta m;
	m.size = st.size;
	m.length = st.size;
	m.mode = st.mode;
	m.uid = st.uid;
	m.gid = st.gid;
	m.mtime_sec = st.mtime_sec;
	m.mtime_nsec = st.mtime_nsec;
	return m;
}

struct DirCloser {
	void operator()(fileserver_dir *d) const { fileserver_list_close(d); }
};

// What a GET's callback needs: the caller's handlers, the META (filled by
// the library before the first data) and why the transfer was aborted here.
struct GetContext {
	const Session::MetaHandler *on_meta;
	const Session::DataSink *sink;
	std::uint64_t length;
	struct fileserver_stat st {
	};
	bool meta_seen = false;
	std::optional<Error> local;

	int meta(std::uint64_t offset)
	{
		meta_seen = true;
		if (!*on_meta)
			return 0;
		protocol::Meta m = to_meta(st);
		m.offset = offset;
		m.length = st.size > offset ? std::min(length, st.size - offset) : 0;
		if (int e = (*on_meta)(m); e < 0) {
			local = Error::from_errno(e, errno_string(e));
			return e;
		}
		return 0;
	}

	static int data(void *ctx, std::uint64_t offset, const void *data, std::size_t len)
	{
		auto *c = static_cast<GetContext *>(ctx);
		if (!c->meta_seen)
			if (int e = c->meta(offset); e < 0)
				return e;
		if (int e = (*c->sink)({static_cast<const std::uint8_t *>(data), len}); e < 0) {
			c->local = Error{EIO, "cannot write output: " + errno_string(e)};
			return e;
		}
		return 0;
	}
};

} // namespace

Session::Session(std::string queue, std::chrono::milliseconds timeout)
        : queue_(std::move(queue)), timeout_(timeout)
{}

Session::~Session()
{
	fileserver_session_close(s_);
}

Result<fileserver_session *> Session::session()
{
	if (s_)
		return s_;
	auto ms = timeout_.count() > 0x7fffffff ? 0x7fffffff : static_cast<int>(timeout_.count());
	if (int rc = fileserver_session_open(queue_.c_str(), ms, &s_); rc < 0) {
		s_ = nullptr;
		return failure(rc);
	}
	return s_;
}

Result<PingInfo> Session::ping()
{
	// The round trip includes opening the session when this is the first call.
	auto start = std::chrono::steady_clock::now();
	auto s = session();
	if (!s)
		return s.take_error();
	char version[256] = {};
	int rc = fileserver_ping(*s, version, sizeof(version));
	if (rc < 0)
		return failure(rc);
	PingInfo info;
	info.round_trip = std::chrono::duration_cast<std::chrono::microseconds>(
	        std::chrono::steady_clock::now() - start);
	// A positive result is the server's protocol version.
	info.protocol_version = static_cast<std::uint16_t>(rc > 0 ? rc : protocol::kVersion);
	info.server_version = version;
	return info;
}

Result<std::string> Session::status()
{
	auto s = session();
	if (!s)
		return s.take_error();
	char *json = nullptr;
	if (int rc = fileserver_status(*s, &json); rc < 0)
		return failure(rc);
	std::unique_ptr<char, decltype(&std::free)> owner(json, &std::free);
	return std::string(json ? json : "");
}

Result<protocol::Meta> Session::stat(const std::string &path)
{
	auto s = session();
	if (!s)
		return s.take_error();
	struct fileserver_stat st {
	};
	if (int rc = fileserver_stat(*s, path.c_str(), &st); rc < 0)
		return failure(rc);
	return to_meta(st);
}

Result<std::vector<protocol::Entry>> Session::list(const std::string &path)
{
	auto s = session();
	if (!s)
		return s.take_error();
	fileserver_dir *raw = nullptr;
	if (int rc = fileserver_list_open(*s, path.c_str(), &raw); rc < 0)
		return failure(rc);
	std::unique_ptr<fileserver_dir, DirCloser> dir(raw);
	std::vector<protocol::Entry> entries;
	for (;;) {
		const fileserver_dirent *e = nullptr;
		int rc = fileserver_list_next(dir.get(), &e);
		if (rc < 0)
			return failure(rc);
		if (rc == 0)
			return entries;
		protocol::Entry entry;
		entry.type = e->type;
		entry.mode = e->mode;
		entry.size = e->size;
		entry.mtime_sec = e->mtime_sec;
		entry.name.assign(e->name, e->name_len);
		entries.push_back(std::move(entry));
	}
}

Result<void> Session::get(const std::string &path, std::uint64_t offset, std::uint64_t length,
                          const MetaHandler &on_meta, const DataSink &sink)
{
	auto s = session();
	if (!s)
		return s.take_error();
	GetContext ctx{&on_meta, &sink, length, {}, false, std::nullopt};
	int rc = fileserver_get_cb(*s, path.c_str(), offset, length, &GetContext::data, &ctx, &ctx.st);
	if (ctx.local)
		return std::move(*ctx.local);
	if (rc < 0)
		return failure(rc);
	if (!ctx.meta_seen)
		if (int e = ctx.meta(offset); e < 0)
			return std::move(*ctx.local);
	return {};
}

void Session::get_ahead(const std::string &path)
{
	if (auto s = session())
		(void)fileserver_get_ahead(*s, path.c_str(), 0, protocol::kToEnd);
}

} // namespace fileserver::cli
