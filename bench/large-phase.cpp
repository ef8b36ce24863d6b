// SPDX-License-Identifier: MIT
// The large file: throughput through the real client library, against the
// message queue ceiling at the same message size and depth.

#include <algorithm>
#include <cstdio>
#include <vector>

#include "baselines.h"
#include "client-calls.h"
#include "daemon.h"
#include "fail.h"
#include "measure-window.h"
#include "options.h"
#include "phases.h"
#include "proc-stats.h"
#include "work-dir.h"

namespace fileserver::bench {

namespace {

struct ClientRun {
	double rate = 0;
	std::uint32_t chunk_size = 0;
};

ClientRun client_run(const std::string &queue, const std::string &name, std::uint64_t size)
{
	BenchClient client(queue);
	double t0 = now_sec();
	auto r = client.get(name);
	double secs = now_sec() - t0;
	if (!r.ok())
		die("large GET failed: " + r.error().why);
	if (r->bytes != size)
		die("large GET: received " + std::to_string(r->bytes) + " of " + std::to_string(size) +
		    " bytes");
	return {static_cast<double>(size) / secs, r->chunk_size};
}

void add_rates(nlohmann::json &j, const std::vector<double> &client_rates,
               const std::vector<double> &ceiling_rates)
{
	j["client_bytes_per_sec"] = client_rates;
	j["ceiling_bytes_per_sec"] = ceiling_rates;
	j["client_median"] = median(client_rates);
	j["ceiling_median"] = median(ceiling_rates);
	j["ratio"] = median(client_rates) / median(ceiling_rates);
	double client_best = *std::max_element(client_rates.begin(), client_rates.end());
	double ceiling_best = *std::max_element(ceiling_rates.begin(), ceiling_rates.end());
	j["client_best"] = client_best;
	j["ceiling_best"] = ceiling_best;
	j["ratio_of_best"] = client_best / ceiling_best;
}

} // namespace

nlohmann::json large_phase(const Options &o, const WorkDir &w, const Daemon &d)
{
	std::string path = w.root + "/" + w.large_name;
	warm_page_cache(path);
	ReplyQueueShape rq = reply_queue_shape();
	std::vector<double> client_rates, ceiling_rates;
	std::uint32_t chunk = 0;
	RssSampler rss(d.pid);
	// Warm-up: one untimed GET of up to 64 MiB (faults in the daemon's pages).
	(void)BenchClient(d.queue).get(w.large_name, 64 << 20);
	double daemon_cpu = 0, client_cpu = 0, ceiling_cpu = 0;
	for (int i = 0; i < o.large_runs; i++) {
		// Alternated, so that drift (frequency, other load) hits both alike.
		double self0 = self_cpu_sec();
		ceiling_rates.push_back(ceiling_run(path, o.large_size, rq.message_size, rq.depth));
		ceiling_cpu += self_cpu_sec() - self0;
		double cpu0 = proc_cpu_sec(d.pid);
		self0 = self_cpu_sec();
		ClientRun c = client_run(d.queue, w.large_name, o.large_size);
		client_cpu += self_cpu_sec() - self0;
		daemon_cpu += proc_cpu_sec(d.pid) - cpu0;
		client_rates.push_back(c.rate);
		chunk = c.chunk_size;
	}
	long peak = rss.stop();
	if (chunk + protocol::kReplyHeaderSize != static_cast<std::size_t>(rq.message_size))
		std::fprintf(stderr,
		             "fileserver-bench: warning: the client's reply queue had messages of %zu bytes, "
		             "the ceiling %ld (budget short?)\n",
		             chunk + protocol::kReplyHeaderSize, rq.message_size);
	nlohmann::json j;
	j["size_bytes"] = o.large_size;
	j["runs"] = o.large_runs;
	j["message_size"] = rq.message_size;
	j["queue_depth"] = rq.depth;
	j["chunk_size"] = chunk;
	add_rates(j, client_rates, ceiling_rates);
	// CPU seconds per GiB moved: the cost, whatever else runs on the machine.
	double gib = static_cast<double>(o.large_size) * o.large_runs / static_cast<double>(1ULL << 30);
	j["daemon_cpu_sec_per_gib"] = daemon_cpu / gib;
	j["client_cpu_sec_per_gib"] = client_cpu / gib;
	j["ceiling_cpu_sec_per_gib"] = ceiling_cpu / gib;
	add_load_and_peak_rss(j, peak);
	return j;
}

} // namespace fileserver::bench
