// SPDX-License-Identifier: MIT
#pragma once

// One fetch of the classic client (sysv-message.h): its own reply queue
// (IPC_PRIVATE, removed at the end), the request, the file's chunks. Shared
// by fileserver-sysv-client and the benchmark's classic baseline, which runs
// it in a loop in each client process. Links nothing of fileserver.

#include <cstddef>
#include <functional>

namespace fileserver::bench::sysv {

// Receives each chunk of the file; false stops the fetch.
using Sink = std::function<bool(const char *data, std::size_t size)>;

// Fetches @path from the server whose queue is @server (a msqid). 0 when the
// whole file came; else an errno: the server's (from its end message) or
// the client's own (EINTR: a signal, such as the caller's alarm, stopped a
// wait). Says nothing itself; @why (if not null) gets what failed.
int fetch(int server, const char *path, const Sink &sink, const char **why = nullptr);

// The reply queue of the fetch in progress (-1 if none): a signal handler
// that ends the process removes it.
int current_reply_queue();

} // namespace fileserver::bench::sysv
