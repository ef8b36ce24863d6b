// SPDX-License-Identifier: MIT
#include "request-loop.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include <spdlog/spdlog.h>

#include "server/reply-stream.h"
#include "server/request-log.h"
#include "server/transfer.h"
#include "util/errno-util.h"
#include "util/mq-notify.h"
#include "util/time-util.h"

namespace fileserver {

namespace {

void log_notify_failure(const char *what) noexcept
{
	try {
		spdlog::error("Notification thread failed: {}", what);
	} catch (...) {
		// Nothing left to tell it with; the thread must still return to glibc.
	}
}

// glibc may start a notification thread after stop() returned; the
// callback finds the loop through this pointer, under this lock, so that it
// can never reach a destroyed loop.
std::shared_mutex g_loop_lock;
RequestLoop *g_loop = nullptr;

} // namespace

RequestLoop::RequestLoop(const MessageQueue &queue, JobSink &transfers, ContextSource context,
                         ServerStats &stats, SessionTable &sessions)
        : queue_(queue), transfers_(transfers), context_(std::move(context)), stats_(stats),
          sessions_(sessions)
{
	struct mq_attr attr;
	int r = queue_.attributes(attr);
	if (r < 0)
		throw_errno(-r, "mq_getattr on the server queue");
	message_size_ = static_cast<std::size_t>(attr.mq_msgsize);
	wake_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
	if (!wake_)
		throw_errno(errno, "eventfd");
}

RequestLoop::~RequestLoop()
{
	stop();
}

void RequestLoop::start()
{
	{
		std::unique_lock guard(g_loop_lock);
		g_loop = this;
	}
	arm();
	// A registration made while the queue is non-empty fires only once it
	// empties and refills: drain what arrived before we registered.
	drain();
}

void RequestLoop::stop()
{
	stopping_.store(true);
	{
		std::unique_lock guard(g_loop_lock); // waits for a callback's drain
		if (g_loop != this)
			return;
		g_loop = nullptr;
	}
	if (registered_.exchange(false))
		notify_cancel(queue_.get());
}

// A thread boundary: nothing may escape into glibc's notification thread.
// Each request is already guarded in dispatch(); a stalled queue left by an
// exception here is found by check() (no heartbeat while requests wait).
void RequestLoop::on_notify(union sigval)
{
	try {
		notified();
	} catch (const std::exception &e) {
		log_notify_failure(e.what());
	} catch (...) {
		log_notify_failure("unknown exception");
	}
}

// glibc starts a thread for every notification, several times the cost of
// serving a small file. So the notification thread drains the queue and
// hands it to the busy hook (the request receivers, blocked in the
// receive; without them the transfer engine, whose threads are woken by
// epoll) instead of registering again; registered_ stays true, as the
// queue is watched. After a pause in requests the hook calls rest(), which
// registers again and drains once more, as start() does.
void RequestLoop::notified()
{
	std::shared_lock guard(g_loop_lock);
	RequestLoop *self = g_loop;
	if (!self || self->stopping_.load())
		return;
	if (self->busy_hook_) {
		self->drain();
		if (self->busy_hook_())
			return;
	}
	// Re-register before draining, so that nothing arriving meanwhile is missed.
	self->registered_.store(false);
	self->arm();
	self->drain();
}

TakenRequest RequestLoop::take_one()
{
	std::shared_lock guard(g_loop_lock);
	if (g_loop != this || stopping_.load())
		return {};
	heartbeat_.fetch_add(1);
	return receive_one(queue_, std::chrono::milliseconds(0));
}

// Not under g_loop_lock, which a receiver would hold while it waits (its
// readers would starve stop()): the receivers stop before the loop does.
TakenRequest RequestLoop::take_one(const MessageQueue &from, std::chrono::milliseconds wait)
{
	if (stopping_.load())
		return {};
	heartbeat_.fetch_add(1);
	return receive_one(from, wait);
}

void RequestLoop::rest()
{
	std::shared_lock guard(g_loop_lock);
	if (g_loop != this || stopping_.load())
		return;
	arm();
	drain();
}

int RequestLoop::arm()
{
	std::lock_guard guard(arm_lock_);
	// EBUSY means "someone is registered", which may be this process (a
	// callback still on its way). Dropping our own registration first
	// (a no-op if another process holds it) makes EBUSY mean "stolen".
	notify_cancel(queue_.get());
	int r = notify_on_thread(queue_.get(), on_notify, {});
	if (r == 0) {
		registered_.store(true);
		if (told_stolen_.exchange(false))
			spdlog::info("Regained the mq_notify registration of the server queue");
		return 0;
	}
	int err = -r;
	registered_.store(false);
	if (err == EBUSY) {
		if (!told_stolen_.exchange(true))
			spdlog::warn("Another process holds the mq_notify registration of the server "
			             "queue; serving by polling until it can be taken back");
	} else {
		spdlog::error("mq_notify on the server queue failed: {}; serving by polling",
		              errno_string(err));
	}
	std::uint64_t one = 1;
	[[maybe_unused]] ssize_t n = write(wake_.get(), &one, sizeof(one));
	return -err;
}

bool RequestLoop::check()
{
	if (stopping_.load())
		return false;
	std::uint64_t beat = heartbeat_.load();
	bool stalled = false;
	struct mq_attr attr;
	if (beat == last_check_beat_ && queue_.attributes(attr) == 0 && attr.mq_curmsgs > 0)
		stalled = true;
	if (!registered_.load() || stalled) {
		if (stalled && registered_.load())
			spdlog::debug("Requests waited without a notification; re-registering");
		arm();
		drain();
	}
	last_check_beat_ = heartbeat_.load();
	return registered_.load();
}

void RequestLoop::clear_wake()
{
	std::uint64_t v;
	[[maybe_unused]] ssize_t n = read(wake_.get(), &v, sizeof(v));
}

void RequestLoop::drain()
{
	heartbeat_.fetch_add(1);
	while (!stopping_.load()) {
		TakenRequest taken = receive_one(queue_, std::chrono::milliseconds(0));
		if (!taken.received)
			return;
		if (taken.start)
			transfers_.run(std::move(taken.start));
	}
}

TakenRequest RequestLoop::receive_one(const MessageQueue &from, std::chrono::milliseconds wait)
{
	thread_local std::vector<std::uint8_t> buf;
	if (buf.size() < message_size_)
		buf.resize(message_size_);
	// Several threads may take requests at once (a notification thread, the
	// receivers or the engine's); a request is taken and admitted under
	// this lock, so that a session's requests are admitted in the order
	// they were sent.
	std::lock_guard guard(dispatch_lock_);
	// First without waiting, on the non-blocking descriptor (a deadline in
	// the past on a blocking one still arms a timer): one that was queued
	// already tells the receivers that more come than one of them takes.
	long n = queue_.try_receive(buf);
	bool queued = n >= 0;
	if (n == -EAGAIN && wait.count() > 0)
		n = from.receive(buf, wait);
	if (n < 0) {
		if (n != -EAGAIN && n != -ETIMEDOUT)
			spdlog::error("Receiving from the server queue failed: {}", errno_string(n));
		return {};
	}
	return {true, dispatch(std::span(buf).first(static_cast<std::size_t>(n))), queued};
}

// A thread boundary too (it runs on notification threads and the owner's):
// an exception fails this one request.
TransferPtr RequestLoop::dispatch(std::span<const std::uint8_t> msg)
{
	Job job;
	job.received_usec = monotonic_usec();
	TransferPtr start;
	try {
		dispatch_job(msg, job, start);
		return start;
	} catch (const std::exception &e) {
		fail_job(job, msg.size(), e.what());
	} catch (...) {
		fail_job(job, msg.size(), "unknown exception");
	}
	return nullptr;
}

void RequestLoop::fail_job(Job &job, std::size_t size, const char *what) noexcept
{
	try {
		std::string why = std::string("internal error: ") + what;
		if (!job.session) {
			log_dropped(size, why, job.received_usec);
			return;
		}
		(void)reply_error_now(job.session->reply, job.request, EIO, why);
		RequestRecord rec = record_for(job);
		rec.fail(Outcome::Failed, Error{EIO, why});
		end_request(stats_, rec, job.received_usec);
	} catch (...) {
		// Out of memory, most likely: the request is lost, the server goes on.
	}
}

void RequestLoop::dispatch_job(std::span<const std::uint8_t> msg, Job &job, TransferPtr &start)
{
	auto status = protocol::decode_request(msg, job.request);
	const protocol::Request &req = job.request;
	if (status == protocol::Status::OldVersion) {
		answer_old_version(msg.size(), job);
		return;
	}
	if (status != protocol::Status::Ok && status != protocol::Status::PathTooLong) {
		log_dropped(msg.size(), protocol::to_string(status), job.received_usec);
		return;
	}
	job.context = context_();
	if (req.op == protocol::Op::Open) {
		open_session(msg.size(), job);
		return;
	}

	// Only the reader of the session's reply queue knows its secret: the
	// request comes from the queue's owner (or root), the proven client.
	auto session = sessions_.lookup(req.session, req.nonce);
	if (!session && req.op == protocol::Op::Close)
		return; // the server may have seen the client exit first: nothing to end
	if (!session) {
		reject("unknown session or wrong secret", job.received_usec);
		return;
	}
	if (req.op == protocol::Op::Close) {
		sessions_.close(req.session, SessionEnd::Close); // its transfers stop at their next send
		return;
	}
	job.session = SessionRef(std::move(session), job.received_usec);
	job.client_uid = job.session->uid;

	if (status == protocol::Status::PathTooLong) {
		refuse(job, Error{ENAMETOOLONG, "path too long"});
		return;
	}
	SubmitResult submitted = transfers_.submit(std::move(job), start);
	if (submitted == SubmitResult::Accepted)
		return;
	// Not taken: the job is intact.
	refuse(job, Error{EBUSY, submitted == SubmitResult::UserBusy
	                                 ? "server busy: too many requests of uid " +
	                                           std::to_string(job.client_uid) + " waiting"
	                                 : "server busy: every transfer and the backlog are in use"});
}

// A refused request: answered after the requests its session has in
// progress (the engine holds it), else at once.
void RequestLoop::refuse(Job &job, const Error &err)
{
	if (!transfers_.hold_refusal(job, err))
		refuse_now(job, err);
}

// Ends a request on the dispatcher: answered without waiting, never queued.
void RequestLoop::refuse_now(Job &job, const Error &err)
{
	(void)reply_error_now(job.session->reply, job.request, err.code, err.why);
	RequestRecord rec = record_for(job);
	rec.fail(outcome_for_error(err.code), err);
	end_request(stats_, rec, job.received_usec);
}

void RequestLoop::log_dropped(std::size_t size, std::string_view why, std::uint64_t now_usec)
{
	// No trustworthy reply queue to answer on: count, and log at most once a second.
	std::uint64_t dropped = stats_.dropped.fetch_add(1) + 1;
	std::uint64_t last = last_drop_log_usec_.load();
	if (now_usec - last >= 1000000 && last_drop_log_usec_.compare_exchange_strong(last, now_usec))
		spdlog::warn("Dropped a malformed request ({} bytes: {}); {} dropped so far", size, why,
		             dropped);
}

void RequestLoop::reject(std::string_view why, std::uint64_t now_usec)
{
	// Never answered: a guessed session id must learn nothing. Logged at
	// most once a second, like malformed requests.
	std::uint64_t rejected = stats_.rejected.fetch_add(1) + 1;
	std::uint64_t last = last_reject_log_usec_.load();
	if (now_usec - last >= 1000000 && last_reject_log_usec_.compare_exchange_strong(last, now_usec))
		spdlog::warn("Rejected a request ({}); {} rejected so far", why, rejected);
}

} // namespace fileserver
