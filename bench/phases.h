// SPDX-License-Identifier: MIT
#pragma once

// The measured phases against the running daemon; each returns its part of
// the JSON report (see docs/performance.md).

#include <nlohmann/json.hpp>

namespace fileserver::bench {

struct Options;
struct WorkDir;
struct Daemon;
class NotifySocket;

// Starts the daemon o.starts times (once if "start" is not asked for), each
// to READY=1, stops all but the last and PINGs it. Returns the daemon that
// serves the rest of the run; sets @start to the timings if asked for.
Daemon start_phase(const Options &o, const WorkDir &w, NotifySocket &notify, nlohmann::json &start);

// SIGHUP to RELOADING=1 and READY=1, o.reloads times.
nlohmann::json reload_phase(const Options &o, const Daemon &d, NotifySocket &notify);

// The large file through the client, alternated with the ceiling.
nlohmann::json large_phase(const Options &o, const WorkDir &w, const Daemon &d);

// The large phase again at o.large_msgsize bytes per message, in a private
// IPC namespace with a daemon of its own (large-msgsize-phase.cpp); says
// "skipped" without root.
nlohmann::json large_msgsize_phase(const Options &o, const WorkDir &w);

// Small-file GETs from @clients client processes for o.duration seconds.
nlohmann::json small_level(const Options &o, const WorkDir &w, const Daemon &d, int clients);

// o.rounds of small_level(), each followed at once by the kept-queue
// floor's level when @paired (the machine's state drifts over minutes;
// a pair does not): the round of the median rate, with "rounds", each
// round's "paired_share" and "paired_cpu_ratio" against its floor, their
// medians, and the floor's round of the median rate as "floor_kept".
nlohmann::json small_level_rounds(const Options &o, const WorkDir &w, const Daemon &d, int clients,
                                  bool paired);

// Single fetches by fileserverctl processes against the classic SysV client
// and cat, and one `fileserverctl get -r` of the same files (cli-phase.cpp).
nlohmann::json cli_phase(const Options &o, const WorkDir &w, const Daemon &d);

// Clients stopped in the middle of large GETs, and a fresh client beside
// them, in a private IPC namespace with a daemon of its own
// (stalled-phase.cpp); says "skipped" without root.
nlohmann::json stalled_phase(const Options &o, const WorkDir &w);

} // namespace fileserver::bench
