// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace fileserver {

// Paths a client must not leave behind when a signal kills it: its reply
// queue (until the server has opened it and the name is unlinked) and a
// temporary output file. The handlers remove them and re-raise the signal.

enum class CleanupKind {
	MessageQueue,
	File
};

// Registers @path; returns a slot for cleanup_forget(), or -1 if full.
int cleanup_register(CleanupKind kind, const std::string &path);
void cleanup_forget(int slot);

// Removes every path registered now. Async-signal-safe: for handlers.
void cleanup_run() noexcept;

// Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT that call
// cleanup_run() and then die of the signal.
void install_cleanup_handlers();

} // namespace fileserver
