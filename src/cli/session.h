// SPDX-License-Identifier: MIT
#pragma once

// fileserverctl's only way to the server: a small RAII layer over the C API
// of libfileserver-client (fileserver/client.h). One Session is one server
// session, opened at the first call and used by every call that follows.
// Failures become Error{errno, message} with the library's message.

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "protocol/wire.h"
#include "util/error.h"

struct fileserver_session;

namespace fileserver::cli {

struct PingInfo {
	std::uint16_t protocol_version = 0;
	std::string server_version;
	std::chrono::microseconds round_trip{0};
};

class Session
{
public:
	// Receives file data in order; returns 0 or -errno to abort.
	using DataSink = std::function<int(std::span<const std::uint8_t>)>;
	// Called once with the file's metadata, before the first data (after
	// the transfer if no data came); returns 0 or -errno to abort.
	using MetaHandler = std::function<int(const protocol::Meta &)>;

	Session(std::string queue, std::chrono::milliseconds timeout);
	~Session();
	Session(const Session &) = delete;
	Session &operator=(const Session &) = delete;

	[[nodiscard]] Result<PingInfo> ping();
	[[nodiscard]] Result<std::string> status();
	[[nodiscard]] Result<protocol::Meta> stat(const std::string &path);
	// The whole directory, in the server's order.
	[[nodiscard]] Result<std::vector<protocol::Entry>> list(const std::string &path);
	[[nodiscard]] Result<void> get(const std::string &path, std::uint64_t offset, std::uint64_t length,
	                               const MetaHandler &on_meta, const DataSink &sink);
	// Sends the request of the next get() of the whole @path now
	// (fileserver_get_ahead(3)); a failure only means that get() will send
	// its own.
	void get_ahead(const std::string &path);

private:
	Result<fileserver_session *> session();

	std::string queue_;
	std::chrono::milliseconds timeout_;
	fileserver_session *s_ = nullptr;
};

} // namespace fileserver::cli
