// SPDX-License-Identifier: MIT
#pragma once

#include <mqueue.h>
#include <signal.h>

namespace fileserver {

// mq_notify(SIGEV_THREAD): runs @fn(@value) on a thread once @mqd goes from
// empty to non-empty. One-shot. Returns 0 or -errno (-EBUSY: another
// registration, possibly another process's, is in place).
//
// Normal builds use glibc's implementation. ThreadSanitizer cannot follow
// the threads glibc starts internally for it (they crash in TSan's
// allocator), so TSan builds speak the same kernel interface, a netlink
// socket that receives a cookie per notification, with a helper thread of
// our own.
int notify_on_thread(mqd_t mqd, void (*fn)(union sigval), union sigval value);

// Drops this process's registration on @mqd, if it holds one.
void notify_cancel(mqd_t mqd);

} // namespace fileserver
