// SPDX-License-Identifier: MIT
// The large file once more at a bigger message size (o.large_msgsize): in a
// private IPC namespace whose fs.mqueue.msgsize_max is that size, with a
// daemon of its own started there, and its own ceiling at the reply queue
// the client library picks there. The host's limits stay as they are.

#include "daemon.h"
#include "fail.h"
#include "ipc-namespace-child.h"
#include "isolation.h"
#include "notify-socket.h"
#include "options.h"
#include "phases.h"
#include "text-file.h"
#include "work-dir.h"

namespace fileserver::bench {

namespace {

nlohmann::json run_large(const Options &o, const WorkDir &main_w)
{
	WorkDir w = with_daemon_files(main_w, "large-msgsize");
	NotifySocket notify(w.notify_path);
	Daemon d = start_daemon(o, w, notify);
	nlohmann::json j = large_phase(o, w, d);
	int status = stop_daemon(d);
	if (status != 0)
		die("fileserverd (private IPC namespace) exited with status " + std::to_string(status) +
		    "; its log:\n" + read_text(w.log_path));
	return j;
}

} // namespace

nlohmann::json large_msgsize_phase(const Options &o, const WorkDir &w)
{
	if (!can_enter_ipc_namespace())
		return {{"message_size", o.large_msgsize},
		        {"skipped", "needs root: a private IPC namespace"}};
	MqueueLimits limits{o.large_msgsize, 0, 0};
	return run_in_ipc_namespace("the large phase at " + std::to_string(o.large_msgsize) +
	                                    "-byte messages",
	                            limits, [&] { return run_large(o, w); });
}

} // namespace fileserver::bench
