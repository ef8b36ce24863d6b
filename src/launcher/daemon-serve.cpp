// SPDX-License-Identifier: MIT
#include "daemon-serve.h"

#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "launcher/reexec-handover.h"
#include "launcher/server-startup.h"
#include "util/errno-util.h"
#include "util/signal-reset.h"

namespace fileserver {

namespace {

// Re-executes the binary in place, keeping the PID, the queue and the PID
// file with its lock; returns why it could not.
std::string reexec_in_place(Daemon &d, const MessageQueue &queue, const Config &running)
{
	if (!d.opts.chroot_dir.empty())
		return "not supported with --chroot (the binary and its libraries are outside of it)";
	if (d.exe.empty())
		return "the path of the executable is unknown";
	std::string running_json;
	try {
		running_json = config_json(running).dump();
	} catch (const std::exception &e) {
		return std::string("the running configuration cannot be handed over: ") + e.what();
	}
	DaemonOptions next = d.opts;
	next.reexec = true;
	std::vector<std::string> args{d.argv0};
	for (auto &a : daemon_cmdline_args(next))
		args.push_back(std::move(a));
	std::vector<std::string> env{
	        std::string(kReexecQueueFdVar) + "=" + std::to_string(queue.get()),
	        std::string(kReexecConfigVar) + "=" + running_json,
	};
	std::vector<int> keep{queue.get()};
	if (d.pidfile.valid()) {
		env.push_back(std::string(kReexecPidfileFdVar) + "=" + std::to_string(d.pidfile.fd()));
		keep.push_back(d.pidfile.fd());
	}
	spdlog::info("Re-executing {} in place (pid {})", d.exe, getpid());
	int r = reexec(d.exe, args, env, keep);
	return "execve " + d.exe + ": " + errno_string(r);
}

} // namespace

void DaemonLifecycle::ready()
{
	if (report_.active())
		report_.ready();
}

Config load_config(const Server::ConfigLoader &loader)
{
	try {
		return loader();
	} catch (const std::exception &e) {
		throw StartupError(kExitNotConfigured, std::string("configuration error: ") + e.what());
	}
}

int serve(Daemon &d, std::unique_ptr<Server> server, SignalPipe &signals, Lifecycle &lifecycle)
{
	for (;;) {
		RunEnd end = server->run(signals, lifecycle);
		if (end != RunEnd::kReexec) {
			int code = exit_code_after(end);
			d.pidfile.remove();
			return code;
		}
		// From now on signals stay pending, across execve() for the next
		// image (which unblocks them once it handles them), or for this
		// one if the exec fails. Those that came just before go back to
		// pending too.
		block_all_signals();
		if (termination_requested()) {
			spdlog::info("Shutting down instead of re-executing: SIGTERM or SIGINT came too");
			d.pidfile.remove();
			return kExitSuccess;
		}
		while (int sig = signals.next())
			kill(getpid(), sig);
		Config running = server->context()->config;
		MessageQueue queue(server->release_queue());
		server.reset();
		std::string why = reexec_in_place(d, queue, running);
		spdlog::error("Cannot re-execute: {}; serving on in this process", why);
		server = std::make_unique<Server>(running, d.loader, std::move(queue));
		unblock_all_signals();
	}
}

int startup_failed(StartupReport &report, int code, const std::string &message)
{
	spdlog::critical("{}", message);
	report.failed(code, message);
	return code;
}

} // namespace fileserver
