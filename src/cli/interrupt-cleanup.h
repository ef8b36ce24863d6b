// SPDX-License-Identifier: MIT
#pragma once

// What fileserverctl removes when SIGINT, SIGTERM, SIGHUP or SIGQUIT stops
// it: the temporary files of client/signal-cleanup (its -o fallback), and
// the names of its reply queues. Those belong to libfileserver-client, whose
// own records a program cannot reach from a signal handler; the names carry
// the process id (/fileserver-client-PID-..., /fileserverctl-PID-...), so
// the handler removes this process's names from /dev/mqueue. Then the signal
// kills the process as it would have (a NAME.part of --continue stays).

namespace fileserver::cli {

void install_interrupt_cleanup();

// Whether @name (an entry of /dev/mqueue, without the leading '/') is a reply
// queue of process @pid. Async-signal-safe.
bool is_reply_queue_of(const char *name, int pid);

} // namespace fileserver::cli
