// SPDX-License-Identifier: MIT
#pragma once

// The C API's opaque types. One fileserver_session is one Client, hence one
// protocol session with the server; its calls are serialised here as well,
// so that sharing it between threads is safe (not parallel).

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "client/client.h"
#include "fileserver/client.h"

struct fileserver_session {
	explicit fileserver_session(fileserver::ClientOptions options) : client(std::move(options)) {}

	std::mutex lock;
	fileserver::Client client;
};

struct fileserver_dir {
	std::vector<fileserver::protocol::Entry> entries;
	std::size_t next = 0;
	fileserver_dirent current{};
};

namespace fileserver::capi {

void to_c_stat(const protocol::Meta &meta, struct fileserver_stat &out);

} // namespace fileserver::capi
