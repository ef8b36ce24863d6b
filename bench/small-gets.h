// SPDX-License-Identifier: MIT
#pragma once

// What one client process of the small-file phase runs (and the fresh client
// of the stalled-clients phase): GETs of the small files, round robin, on
// one session, until the measured window closes.

#include <cstddef>
#include <cstdint>
#include <string>

namespace fileserver::bench {

struct WorkDir;
struct ThreadStats;
class MeasureWindow;

// Which requests count: those that started and ended in the window (a
// rate), or every one that started in it, however late it ended (the tail
// while something else holds the server up).
enum class Counting {
	kInWindow,
	kStartedInWindow
};

struct SmallGets {
	std::string queue;        // the daemon's
	std::uint64_t size = 0;   // of each file: anything else is a failure
	std::size_t expected = 0; // requests to make room for
	Counting counting = Counting::kInWindow;
};

// Client @t's loop (@t picks where in the file list it starts).
void small_get_loop(const SmallGets &g, const WorkDir &w, const MeasureWindow &window, int t, ThreadStats &s);

} // namespace fileserver::bench
