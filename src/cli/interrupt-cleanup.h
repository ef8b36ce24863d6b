// SPDX-License-Identifier: MIT
#pragma once

// What fileserverctl removes when SIGINT, SIGTERM, SIGHUP or SIGQUIT stops
// it: the reply queue names of libfileserver-client (a session being
// opened; fileserver_signal_cleanup()) and the temporary files of its own -o
// fallback (client/signal-cleanup, linked into the program: a registry apart
// from the library's). Then the signal kills the process as it would have
// (a NAME.part of --continue stays).

namespace fileserver::cli {

void install_interrupt_cleanup();

} // namespace fileserver::cli
