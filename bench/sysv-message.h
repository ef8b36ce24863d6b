// SPDX-License-Identifier: MIT
#pragma once

// The wire of the classic SysV message queue file server (sysv-server.cpp,
// sysv-client.cpp), the baseline of the benchmark's CLI phase: what a
// fork-per-request server of the 1990s does, with no protocol beyond this.
//
// Request, on the server's queue: type kRequest, text "REPLY_ID PATH" where
// REPLY_ID is the msqid of the client's own reply queue (IPC_PRIVATE).
// Reply, on that queue: the file in messages of type kData, up to
// kernel.msgmax bytes each, then one of type kEnd holding an errno (0: done).

#include <cstddef>

namespace fileserver::bench::sysv {

constexpr long kRequest = 1;
constexpr long kData = 1;
constexpr long kEnd = 2;

// The kernel's default msgmax; the payload of the largest message.
constexpr std::size_t kMaxPayload = 8192;

struct Message {
	long mtype;
	char text[kMaxPayload];
};

} // namespace fileserver::bench::sysv
