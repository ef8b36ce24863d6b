// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "server/server-conf.h"
#include "server/session-table.h"
#include "server/transfer-engine.h"
#include "util/mqueue.h"

namespace fileserver {

class SignalPipe;

// Why the server cannot start. The server does not pick exit codes: the
// launcher maps each kind to one (launcher/server-startup.h).
enum class StartFailure {
	kFailure,       // anything else (system limits, the OS refusing a call)
	kPermission,    // the queue is not ours, or others could read it
	kNotConfigured, // the configuration names something unusable (root, queue size)
};

// Start-up may throw (docs/coding-style.md, "Errors"): the functions below
// and the Server constructor throw this; run() never throws.
class ServerStartError : public std::runtime_error
{
public:
	ServerStartError(StartFailure kind, const std::string &what) : std::runtime_error(what), kind_(kind)
	{}
	[[nodiscard]] StartFailure kind() const { return kind_; }

private:
	StartFailure kind_;
};

// How run() ended; the launcher decides what the process does next.
enum class RunEnd {
	kStopped,        // SIGTERM or SIGINT; transfers finished or were cut off
	kReexec,         // SIGUSR2: release_queue(), then re-execute in place
	kFailed,         // the main loop could not go on (logged); transfers finished
	kTransfersStuck, // transfers hang in system calls: exit without destroying the Server
};

// What the server tells its supervisor (systemd, or nothing). The launcher
// implements it; the server does not know who listens.
class Lifecycle
{
public:
	virtual ~Lifecycle() = default;
	virtual void ready() {}
	virtual void reloading() {}
	virtual void reloaded() {}
	virtual void stopping() {}
	// Called on every loop tick with a one-line summary; @alive says whether
	// the dispatcher and the transfers showed progress.
	virtual void tick(const std::string & /*status*/, bool /*alive*/) {}
	// How often tick() must run at the least (e.g. half the watchdog interval).
	[[nodiscard]] virtual std::chrono::milliseconds tick_interval() const
	{
		return std::chrono::milliseconds(1000);
	}
};

// Opens the served root as an O_PATH directory descriptor; throws
// ServerStartError (kNotConfigured when it cannot be opened).
UniqueFD open_root(const std::string &root);

// Opens or creates the server queue as the configuration says; throws
// ServerStartError when it cannot, or when an existing queue is not safe.
MessageQueue open_server_queue(const Config &config);

// Refuses a server queue that others could read or that belongs to another
// user (ServerStartError). @inherited: handed over by systemd (socket activation), which
// creates it as root.
void check_server_queue(const MessageQueue &queue, const std::string &name, bool inherited = false);

// The server: serving context, transfer engine, request loop, main loop.
class Server
{
public:
	using ConfigLoader = std::function<Config()>;

	// @queue: an already open server queue (O_NONBLOCK), or invalid to open
	// the configured one. @loader re-reads the configuration on SIGHUP.
	Server(Config config, ConfigLoader loader, MessageQueue queue = {});
	~Server();

	// Serves until SIGTERM or SIGINT (or SIGUSR2, if @signals carries it);
	// returns how it ended. Never throws.
	RunEnd run(SignalPipe &signals, Lifecycle &lifecycle);

	// Re-reads the configuration and swaps it in; false (and the old one
	// kept) if it is invalid. Public for tests.
	bool reload();

	// Gives up the server queue descriptor after run(), e.g. to keep it
	// open across execve().
	[[nodiscard]] mqd_t release_queue() { return queue_.release(); }

	[[nodiscard]] std::shared_ptr<const ServingContext> context() const;
	[[nodiscard]] std::string status() const;
	// The statistics that STATUS requests get, as a JSON object.
	[[nodiscard]] std::string status_json() const;
	[[nodiscard]] const ServerStats &stats() const { return stats_; }

private:
	bool alive();
	RunEnd serve_until_signal(SignalPipe &signals, Lifecycle &lifecycle);
	void stop_taking_requests();
	bool drain_for_exit(Lifecycle &lifecycle);

	ConfigLoader loader_;
	mutable std::mutex context_lock_;
	std::shared_ptr<const ServingContext> context_;
	MessageQueue queue_;
	ServerStats stats_;
	mutable std::mutex status_lock_; // last_reload_ is read by transfers (STATUS)
	std::string last_reload_ = "none";
	std::uint64_t started_usec_ = 0;
	struct {
		std::uint64_t beat = 0;
		std::uint64_t progress = 0;
		std::uint64_t progress_usec = 0;
	} watch_; // what alive() saw last
	std::unique_ptr<SessionTable> sessions_;
	std::unique_ptr<TransferEngine> engine_;
	std::unique_ptr<class RequestLoop> loop_;
	// A blocking descriptor of queue_ and the threads that wait on it;
	// without one, the engine threads take requests (epoll).
	MessageQueue receive_queue_;
	std::unique_ptr<class RequestReceivers> receivers_;
};

} // namespace fileserver
