// SPDX-License-Identifier: MIT
// LIST: the whole listing is fetched by fileserver_list_open(), then handed
// out one entry at a time.

#include <memory>

#include "libclient/errors.h"
#include "libclient/session.h"

using namespace fileserver;
using capi::fail;
using capi::guarded;
using capi::invalid;

FILESERVER_API int fileserver_list_open(fileserver_session *s, const char *path, fileserver_dir **out)
{
	return guarded([&] {
		if (out == nullptr)
			return invalid("fileserver_list_open", "out is NULL");
		*out = nullptr;
		if (s == nullptr || path == nullptr)
			return invalid("fileserver_list_open",
			               s == nullptr ? "session is NULL" : "path is NULL");
		auto d = std::make_unique<fileserver_dir>();
		{
			std::lock_guard hold(s->lock);
			auto r = s->client.list(path);
			if (!r)
				return fail(r.error());
			d->entries = std::move(r->entries);
		}
		*out = d.release();
		return 0;
	});
}

FILESERVER_API int fileserver_list_next(fileserver_dir *d, const fileserver_dirent **entry)
{
	return guarded([&] {
		if (d == nullptr || entry == nullptr)
			return invalid("fileserver_list_next",
			               d == nullptr ? "dir is NULL" : "entry is NULL");
		if (d->next >= d->entries.size()) {
			*entry = nullptr;
			return 0;
		}
		const protocol::Entry &e = d->entries[d->next++];
		d->current = fileserver_dirent{};
		d->current.name = e.name.c_str();
		d->current.name_len = e.name.size();
		d->current.type = e.type;
		d->current.mode = e.mode;
		d->current.size = e.size;
		d->current.mtime_sec = e.mtime_sec;
		*entry = &d->current;
		return 1;
	});
}

FILESERVER_API void fileserver_list_close(fileserver_dir *d)
{
	delete d;
}
