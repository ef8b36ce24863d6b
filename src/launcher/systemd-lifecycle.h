// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>

#include "server/server.h"

namespace fileserver {

// Reports the server's lifecycle to systemd through sd_notify(3). Without
// $NOTIFY_SOCKET every call is a no-op.
class SystemdLifecycle : public Lifecycle
{
public:
	SystemdLifecycle();

	void ready() override;
	void reloading() override;
	void reloaded() override;
	void stopping() override;
	void tick(const std::string &status, bool alive) override;
	[[nodiscard]] std::chrono::milliseconds tick_interval() const override;

	// ERRNO= and STATUS= for a fatal start-up error.
	static void failed(int err, const std::string &why);

private:
	std::uint64_t watchdog_usec_ = 0;
	std::string last_status_;
};

} // namespace fileserver
