// SPDX-License-Identifier: MIT
#include "server.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "build-config.h"

#include "protocol/wire.h"
#include "server/request-loop.h"
#include "server/request-receivers.h"
#include "util/errno-util.h"
#include "util/io.h"
#include "util/openat2.h"
#include "util/signal-pipe.h"
#include "util/text.h"
#include "util/time-util.h"

namespace fileserver {

namespace {

std::shared_ptr<const ServingContext> make_context(const Config &config)
{
	auto ctx = std::make_shared<ServingContext>();
	ctx->config = config;
	ctx->root = open_root(config.root);
	return ctx;
}

} // namespace

UniqueFD open_root(const std::string &root)
{
	UniqueFD fd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
	if (!fd) {
		int err = errno;
		throw ServerStartError(StartFailure::kNotConfigured, "cannot open root directory " +
		                                                             escape_for_terminal(root) +
		                                                             ": " + errno_string(err));
	}
	// Every path is resolved with openat2(); a seccomp filter may hide it
	// (systemd's RestrictSUIDSGID= does). Fail now, not on each request.
	int probe = openat2_fd(fd.get(), ".", O_PATH | O_CLOEXEC, 0, RESOLVE_BENEATH);
	if (probe < 0)
		throw ServerStartError(StartFailure::kFailure,
		                       "openat2() on the root directory failed: " + errno_string(probe) +
		                               (probe == -ENOSYS ? " (blocked by a seccomp filter such as "
		                                                   "systemd's RestrictSUIDSGID=?)"
		                                                 : ""));
	UniqueFD probe_fd(probe);
	return fd;
}

void check_server_queue(const MessageQueue &queue, const std::string &name, bool inherited)
{
	struct stat st;
	int r = queue.stat(st);
	if (r < 0)
		throw ServerStartError(StartFailure::kFailure,
		                       "cannot fstat queue " + name + ": " + errno_string(r));
	if (st.st_uid != geteuid() && !(inherited && st.st_uid == 0))
		throw ServerStartError(StartFailure::kPermission,
		                       "queue " + name + " exists and belongs to uid " +
		                               std::to_string(st.st_uid) + ", not to this server (uid " +
		                               std::to_string(geteuid()) +
		                               "): refusing to use it; remove it or pick another --queue");
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		char mode[8];
		snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
		throw ServerStartError(StartFailure::kPermission,
		                       "queue " + name + " has mode " + mode +
		                               ": others could read requests; refusing to use it "
		                               "(expected 0622; fix with: rm /dev/mqueue" +
		                               name + ")");
	}
	if (!(st.st_mode & S_IWOTH))
		spdlog::warn("Queue {} is not writable by others: only its owner's clients can connect",
		             name);
	struct mq_attr attr;
	r = queue.attributes(attr);
	if (r < 0)
		throw ServerStartError(StartFailure::kFailure,
		                       "mq_getattr on queue " + name + ": " + errno_string(r));
	if (attr.mq_msgsize < static_cast<long>(protocol::kRequestHeaderSize + 2))
		throw ServerStartError(StartFailure::kFailure, "queue " + name + " messages are too small (" +
		                                                       std::to_string(attr.mq_msgsize) +
		                                                       " bytes) for any request");
	if (attr.mq_msgsize < static_cast<long>(protocol::kMaxRequestSize))
		spdlog::warn("Queue {} takes messages of {} bytes at most: requests for long paths "
		             "cannot be sent (full support needs {})",
		             name, attr.mq_msgsize, protocol::kMaxRequestSize);
}

MessageQueue open_server_queue(const Config &config)
{
	MessageQueue q;
	int r = MessageQueue::create(config.queue, O_RDONLY | O_NONBLOCK, 0622, config.queue_max_messages,
	                             config.queue_message_size, q);
	if (r == -EEXIST)
		r = MessageQueue::open(config.queue, O_RDONLY | O_NONBLOCK, q);
	else if (r == 0)
		spdlog::info("Created queue {} ({} messages of {} bytes, mode 0622)", config.queue,
		             config.queue_max_messages, config.queue_message_size);
	switch (-r) {
	case 0: break;
	case EINVAL:
		throw ServerStartError(
		        StartFailure::kNotConfigured,
		        "cannot create queue " + config.queue + " with " +
		                std::to_string(config.queue_max_messages) + " messages of " +
		                std::to_string(config.queue_message_size) +
		                " bytes: above the system limits (fs.mqueue.msg_max=" +
		                std::to_string(read_proc_long("/proc/sys/fs/mqueue/msg_max", -1)) +
		                ", fs.mqueue.msgsize_max=" +
		                std::to_string(read_proc_long("/proc/sys/fs/mqueue/msgsize_max", -1)) + ")");
	case EMFILE:
	case ENOMEM:
		throw ServerStartError(
		        StartFailure::kFailure,
		        "cannot create queue " + config.queue +
		                ": this user's message queue budget (RLIMIT_MSGQUEUE) is used up");
	case ENOSPC:
		throw ServerStartError(
		        StartFailure::kFailure,
		        "cannot create queue " + config.queue +
		                ": the system-wide queue limit (fs.mqueue.queues_max) is reached");
	case EACCES:
		throw ServerStartError(StartFailure::kPermission,
		                       "cannot open queue " + config.queue +
		                               ": permission denied (it belongs to someone else?)");
	default:
		throw ServerStartError(StartFailure::kFailure,
		                       "cannot open queue " + config.queue + ": " + errno_string(r));
	}
	check_server_queue(q, config.queue);
	return q;
}

Server::Server(Config config, ConfigLoader loader, MessageQueue queue)
        : loader_(std::move(loader)), context_(make_context(config)), queue_(std::move(queue)),
          started_usec_(monotonic_usec())
{
	if (!queue_.valid())
		queue_ = open_server_queue(config);
	sessions_ = std::make_unique<SessionTable>();
	engine_ = std::make_unique<TransferEngine>(config.workers, transfer_limits(config), stats_,
	                                           [this] { return status_json(); });
	loop_ = std::make_unique<RequestLoop>(
	        queue_, *engine_, [this] { return context(); }, stats_, *sessions_);
	// While requests keep coming, threads blocked in the receive take them
	// in parallel; notifications wake the server only after a pause. That
	// needs a blocking descriptor of the queue: a queue passed by systemd
	// is non-blocking, and its owner, root, may not let this user open it
	// again. Then the engine threads take requests when epoll says one waits.
	if (int r = MessageQueue::reopen(queue_, O_RDONLY, receive_queue_); r == 0) {
		receivers_ = std::make_unique<RequestReceivers>(
		        config.workers,
		        [this](std::chrono::milliseconds wait) {
			        return loop_->take_one(receive_queue_, wait);
		        },
		        [this](TransferPtr t) { engine_->run(std::move(t)); }, [this] { loop_->rest(); });
		loop_->set_busy_hook([this] { return receivers_->wake(); });
	} else {
		spdlog::info("Cannot open the server queue once more to wait on it ({}): the engine "
		             "threads take requests",
		             errno_string(r));
		engine_->set_request_queue(
		        queue_.get(), [this] { return loop_->take_one(); }, [this] { loop_->rest(); });
		loop_->set_busy_hook([this] { return engine_->requests_busy(); });
	}
}

Server::~Server() = default;

std::shared_ptr<const ServingContext> Server::context() const
{
	std::lock_guard guard(context_lock_);
	return context_;
}

std::string Server::status() const
{
	auto ctx = context();
	std::lock_guard guard(status_lock_);
	// A status line goes to sd_notify and logs: bytes are escaped, never raw.
	return "Serving " + escape_for_terminal(ctx->config.root) + " on " +
	       escape_for_terminal(ctx->config.queue) + ": " + std::to_string(engine_->busy()) +
	       " transfers (" + std::to_string(engine_->parked()) + " waiting for their client), " +
	       std::to_string(sessions_->size()) + " sessions, " + std::to_string(stats_.served.load()) +
	       " served, " + std::to_string(stats_.failed.load()) +
	       " failed; last reload: " + escape_for_terminal(last_reload_);
}

std::string Server::status_json() const
{
	auto ctx = context();
	std::lock_guard guard(status_lock_);
	// Asked by a STATUS request, which the engine counts among the
	// transfers in progress: the answer leaves it out.
	std::size_t busy = engine_->busy();
	// Values that come from bytes go through json_bytes(): dump() throws on
	// a string that is not UTF-8, and this runs on a transfer's thread.
	nlohmann::json j = {
	        {"version", FILESERVER_VERSION},
	        {"pid", getpid()},
	        {"uptime_sec", (monotonic_usec() - started_usec_) / 1000000},
	        {"root", json_bytes(ctx->config.root)},
	        {"queue", json_bytes(ctx->config.queue)},
	        {"workers", engine_->threads()},
	        {"intake", receivers_ ? "receivers" : "epoll"},
	        {"busy", busy > 0 ? busy - 1 : 0},
	        {"parked", engine_->parked()},
	        {"waiting", engine_->waiting()},
	        {"max_transfers", ctx->config.max_transfers},
	        {"served", stats_.served.load()},
	        {"failed", stats_.failed.load()},
	        {"bytes", stats_.bytes.load()},
	        {"dropped", stats_.dropped.load()},
	        {"protocol", protocol::kVersion},
	        {"sessions", sessions_->size()},
	        {"sessions_challenged", sessions_->challenged()},
	        {"rejected", stats_.rejected.load()},
	        {"notify_registered", loop_->registered()},
	        {"last_reload", json_bytes(last_reload_)},
	};
	return j.dump();
}

bool Server::reload()
{
	auto old = context();
	std::shared_ptr<const ServingContext> fresh;
	try {
		fresh = make_context(loader_());
	} catch (const std::exception &e) {
		{
			std::lock_guard guard(status_lock_);
			last_reload_ = std::string("failed (") + e.what() + ")";
		}
		spdlog::error("Reload failed, keeping the running configuration: {}",
		              escape_for_terminal(e.what()));
		return false;
	}
	std::string ignored = restart_only_changes(old->config, fresh->config);
	if (!ignored.empty())
		spdlog::warn("Reload: changes to {} take effect only after a restart", ignored);
	// Settings a reload cannot apply keep their running values.
	Config applied = keep_restart_only(fresh->config, old->config);
	auto ctx = std::make_shared<ServingContext>();
	ctx->config = applied;
	ctx->root = std::move(const_cast<ServingContext &>(*fresh).root);
	spdlog::set_level(spdlog::level::from_str(applied.log_level));
	clear_group_cache(); // group memberships may have changed too
	engine_->set_limits(transfer_limits(applied));
	{
		std::lock_guard guard(context_lock_);
		context_ = ctx;
	}
	{
		std::lock_guard guard(status_lock_);
		last_reload_ = "ok";
	}
	spdlog::info("Reloaded configuration: root {}, log level {}, send timeout {} ms",
	             escape_for_terminal(applied.root), escape_for_terminal(applied.log_level),
	             applied.send_timeout.count());
	return true;
}

bool Server::alive()
{
	// Alive: the dispatcher drained or had nothing to drain, and transfers
	// made progress (one ended, resumed or sent a chunk) within their send
	// timeout, or there were none.
	std::uint64_t beat = loop_->heartbeat();
	std::uint64_t progress = engine_->progress() + stats_.bytes.load();
	std::uint64_t now = monotonic_usec();
	struct mq_attr attr = {};
	queue_.attributes(attr);
	bool dispatcher_alive = beat != watch_.beat || attr.mq_curmsgs == 0 || loop_->stopped();
	if (progress != watch_.progress || engine_->busy() == 0)
		watch_.progress_usec = now;
	auto patience = std::chrono::duration_cast<std::chrono::microseconds>(context()->config.send_timeout +
	                                                                      std::chrono::seconds(5));
	bool transfers_alive = now - watch_.progress_usec < static_cast<std::uint64_t>(patience.count());
	watch_.beat = beat;
	watch_.progress = progress;
	return dispatcher_alive && transfers_alive;
}

RunEnd Server::run(SignalPipe &signals, Lifecycle &lifecycle)
{
	loop_->start();
	auto ctx = context();
	spdlog::info("Serving {} on queue {} ({} transfers at most, {} engine threads, {})",
	             escape_for_terminal(ctx->config.root), escape_for_terminal(ctx->config.queue),
	             ctx->config.max_transfers, engine_->threads(),
	             receivers_ ? std::to_string(receivers_->threads()) + " request receivers"
	                        : std::string("requests taken by the engine threads"));
	// READY=1 should find a STATUS= already in place.
	watch_.progress_usec = monotonic_usec();
	lifecycle.tick(status(), true);
	lifecycle.ready();
	RunEnd end = serve_until_signal(signals, lifecycle);
	lifecycle.stopping();
	if (!drain_for_exit(lifecycle))
		return RunEnd::kTransfersStuck;
	spdlog::info("Stopped after serving {} request(s) ({} failed, {} bytes)", stats_.served.load(),
	             stats_.failed.load(), stats_.bytes.load());
	return end;
}

RunEnd Server::serve_until_signal(SignalPipe &signals, Lifecycle &lifecycle)
{
	std::uint64_t last_sweep = 0;
	for (;;) {
		struct pollfd fds[4] = {
		        {signals.fd(), POLLIN, 0},
		        {loop_->wake_fd(), POLLIN, 0},
		        {sessions_->exit_fd(), POLLIN, 0},
		        {queue_.get(), POLLIN, 0},
		};
		// Poll the queue itself only while mq_notify is not ours.
		nfds_t n = loop_->registered() ? 3 : 4;
		int timeout = static_cast<int>(lifecycle.tick_interval().count());
		int r = poll(fds, n, timeout);
		if (r < 0 && errno != EINTR) {
			// Handled here: the server stops as for SIGTERM.
			spdlog::critical("poll in the main loop failed: {}; shutting down",
			                 errno_string(errno));
			return RunEnd::kFailed;
		}

		bool stop = false, reexec = false;
		while (int sig = signals.next()) {
			if (sig == SIGHUP) {
				lifecycle.reloading();
				reload();
				lifecycle.reloaded();
			} else if (sig == SIGTERM || sig == SIGINT) {
				stop_taking_requests();
				spdlog::info("Received {}, shutting down",
				             sig == SIGTERM ? "SIGTERM" : "SIGINT");
				stop = true; // a stop wins over a re-exec
			} else if (sig == SIGUSR2 && !stop) {
				stop_taking_requests();
				spdlog::info(
				        "Received SIGUSR2, re-executing after transfers in flight finish");
				reexec = true;
			}
		}
		if (fds[1].revents & POLLIN)
			loop_->clear_wake();
		// A client that exited: its session ends now, its transfers stop.
		if (fds[2].revents & POLLIN)
			sessions_->reap();
		if (n == 4 && (fds[3].revents & POLLIN))
			loop_->drain();
		loop_->check();
		// Timeouts are seconds long: a sweep (it visits every session) a
		// quarter second at most, however often clients exit.
		if (std::uint64_t now = monotonic_usec(); now - last_sweep >= 250000) {
			sessions_->sweep(session_limits(context()->config));
			last_sweep = now;
		}
		lifecycle.tick(status(), alive());
		if (stop)
			return RunEnd::kStopped;
		if (reexec)
			return RunEnd::kReexec;
	}
}

// Before the log line that says so: a request sent after it stays queued
// (for the next process, after a re-exec).
void Server::stop_taking_requests()
{
	if (receivers_)
		receivers_->stop(); // before the loop: a receiver takes requests without its lock
	loop_->stop();
}

bool Server::drain_for_exit(Lifecycle &lifecycle)
{
	stop_taking_requests();
	engine_->stop_accepting();
	auto grace = context()->config.shutdown_timeout;
	std::size_t in_flight = engine_->busy() + engine_->waiting();
	if (in_flight)
		spdlog::info("Waiting up to {} ms for {} request(s) in flight", grace.count(), in_flight);
	// Keep telling the supervisor we live (watchdog) while transfers drain.
	auto deadline = std::chrono::steady_clock::now() + grace;
	for (;;) {
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
		        deadline - std::chrono::steady_clock::now());
		if (engine_->wait_idle(
		            std::clamp(left, std::chrono::milliseconds(0), lifecycle.tick_interval())))
			break;
		if (left.count() <= 0) {
			std::size_t unfinished = engine_->abort();
			spdlog::warn("Shutdown timeout: cutting off {} request(s)", unfinished);
			break;
		}
		lifecycle.tick(status(), alive());
	}
	// Aborted transfers end within one slice; a transfer stuck in a system
	// call that never returns must not hold the exit forever. Sessions close
	// after the transfers: those cut off, and the requests never started,
	// still get their ERROR ESHUTDOWN.
	bool joined = engine_->join(std::chrono::seconds(5));
	sessions_->close_all();
	return joined;
}

} // namespace fileserver
