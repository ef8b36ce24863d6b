// SPDX-License-Identifier: MIT
#include "small-gets.h"

#include "client-calls.h"
#include "measure-window.h"
#include "proc-stats.h"
#include "work-dir.h"

namespace fileserver::bench {

void small_get_loop(const SmallGets &g, const WorkDir &w, const MeasureWindow &window, int t, ThreadStats &s)
{
	// A client of its own that stays up: one session, opened at its first
	// request, for all its requests.
	BenchClient client(g.queue);
	s.latencies_usec.reserve(g.expected + 1024);
	std::size_t next = static_cast<std::size_t>(t) * 7919;
	while (!window.closed()) {
		const std::string &name = w.small_names[next++ % w.small_names.size()];
		double t0 = now_sec();
		auto r = client.get(name);
		double t1 = now_sec();
		bool counts =
		        g.counting == Counting::kInWindow ? window.counts(t0, t1) : window.started_in(t0);
		if (!counts)
			continue; // warm-up, or across the end of the window
		bool ok = r.ok() && r->bytes == g.size;
		s.add(ok, t0, t1);
		if (!ok && s.first_error.empty())
			s.first_error = r.ok() ? "short read" : r.error().why;
	}
}

} // namespace fileserver::bench
