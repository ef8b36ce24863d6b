// SPDX-License-Identifier: MIT
#pragma once

// What fileserver is measured against, in the same run: the message queue
// ceiling for large files, and for small ones the system-call floor and the
// classic SysV server.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace fileserver::bench {

struct Options;
struct WorkDir;

// The ceiling: a plain loop that pread()s the file and mq_send()s it to a
// queue of the given size and depth, drained by another thread. Messages
// carry file bytes only (no 48-byte protocol header). Returns bytes/second.
double ceiling_run(const std::string &path, std::uint64_t size, long msgsize, long depth);

// What a small-file GET costs with nothing but the system calls it needs,
// with @clients client threads for o.duration seconds; with
// @persistent_reply each client keeps one reply queue instead of creating
// one per request. Run without the daemon: it takes its own mqueue budget.
nlohmann::json floor_level(const Options &o, const WorkDir &w, int clients, bool persistent_reply);

// The classic baseline: the fork-per-request SysV server (sysv-server.cpp)
// and, in each of @clients client processes, the classic client's fetch
// (sysv-exchange.h) in a loop, a reply queue of its own per request as that
// client makes one per run, for o.duration seconds.
nlohmann::json classic_level(const Options &o, const WorkDir &w, int clients);

} // namespace fileserver::bench
