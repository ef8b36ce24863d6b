// SPDX-License-Identifier: MIT
#include "systemd-lifecycle.h"

#include <systemd/sd-daemon.h>

#include <spdlog/spdlog.h>

#include "util/text.h"
#include "util/time-util.h"

namespace fileserver {

SystemdLifecycle::SystemdLifecycle()
{
	std::uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) > 0)
		watchdog_usec_ = usec;
}

void SystemdLifecycle::ready()
{
	sd_notify(0, "READY=1");
}

void SystemdLifecycle::reloading()
{
	// systemd 252 has no Type=notify-reload, but honours RELOADING=1 followed
	// by READY=1: `systemctl reload` returns once the reload is done.
	std::string msg = "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec());
	sd_notify(0, msg.c_str());
}

void SystemdLifecycle::reloaded()
{
	sd_notify(0, "READY=1");
}

void SystemdLifecycle::stopping()
{
	sd_notify(0, "STOPPING=1\nSTATUS=Stopping: finishing transfers in flight");
}

void SystemdLifecycle::tick(const std::string &status, bool alive)
{
	std::string msg;
	if (status != last_status_) {
		msg = "STATUS=" + status;
		last_status_ = status;
	}
	// A dispatcher or pool that stopped making progress gets no ping, so
	// that systemd's watchdog restarts the service.
	if (watchdog_usec_ && alive)
		msg += msg.empty() ? "WATCHDOG=1" : "\nWATCHDOG=1";
	if (!msg.empty())
		sd_notify(0, msg.c_str());
}

std::chrono::milliseconds SystemdLifecycle::tick_interval() const
{
	if (watchdog_usec_) {
		auto half = std::chrono::milliseconds(watchdog_usec_ / 2000);
		return std::clamp(half, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
	}
	return std::chrono::milliseconds(1000);
}

void SystemdLifecycle::failed(int err, const std::string &why)
{
	// One line, whatever bytes @why holds: sd_notify separates by newlines.
	std::string msg = "STATUS=Failed: " + escape_for_terminal(why);
	if (err > 0)
		msg += "\nERRNO=" + std::to_string(err);
	sd_notify(0, msg.c_str());
}

} // namespace fileserver
