// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace fileserver {

// Paths a client must not leave behind when a signal kills it: its reply
// queue (until the server has opened it and the name is unlinked) and a
// temporary output file.

enum class CleanupKind {
	MessageQueue,
	File
};

// Registers @path; returns a slot for cleanup_forget(), or -1 if full.
int cleanup_register(CleanupKind kind, const std::string &path);
void cleanup_forget(int slot);

// Removes every path registered now. Async-signal-safe: for the handlers
// of a program (fileserverctl's cli/interrupt-cleanup); the library's own
// registry is reached through fileserver_signal_cleanup().
void cleanup_run() noexcept;

} // namespace fileserver
