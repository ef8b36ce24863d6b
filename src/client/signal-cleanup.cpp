// SPDX-License-Identifier: MIT
#include "signal-cleanup.h"

#include <limits.h>
#include <mqueue.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace fileserver {

namespace {

enum SlotState : int {
	kFree,
	kFilling,
	kActive
};

struct Slot {
	std::atomic<int> state{kFree};
	CleanupKind kind = CleanupKind::File;
	char path[PATH_MAX] = {};
};

Slot g_slots[8];

} // namespace

void cleanup_run() noexcept
{
	int saved = errno;
	for (auto &slot : g_slots) {
		if (slot.state.load() != kActive)
			continue;
		if (slot.kind == CleanupKind::MessageQueue)
			mq_unlink(slot.path);
		else
			unlink(slot.path);
	}
	errno = saved;
}

int cleanup_register(CleanupKind kind, const std::string &path)
{
	if (path.size() >= PATH_MAX)
		return -1;
	for (int i = 0; i < static_cast<int>(std::size(g_slots)); i++) {
		int expected = kFree;
		if (!g_slots[i].state.compare_exchange_strong(expected, kFilling))
			continue;
		g_slots[i].kind = kind;
		std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
		g_slots[i].state.store(kActive);
		return i;
	}
	return -1;
}

void cleanup_forget(int slot)
{
	if (slot >= 0 && slot < static_cast<int>(std::size(g_slots)))
		g_slots[slot].state.store(kFree);
}

} // namespace fileserver
