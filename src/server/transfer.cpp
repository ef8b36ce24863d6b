// SPDX-License-Identifier: MIT
#include "transfer.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <spdlog/spdlog.h>

#include "build-config.h"
#include "protocol/errors.h"
#include "server/access-policy.h"
#include "server/object-access.h"
#include "server/request-log.h"
#include "util/errno-util.h"
#include "util/mqueue.h"
#include "util/time-util.h"

namespace fileserver {

using namespace protocol;

namespace {

// The reply stream of one request: header bookkeeping and timed sends.
class ReplyStream
{
public:
	ReplyStream(MessageQueue &mq, const Request &req, std::size_t message_size,
	            std::chrono::milliseconds timeout, const WorkerPool &pool)
	        : mq_(mq), timeout_(timeout), pool_(pool), buf_(message_size)
	{
		hdr_.request_id = req.id;
		hdr_.nonce = req.nonce;
	}

	[[nodiscard]] std::size_t max_payload() const { return buf_.size() - kReplyHeaderSize; }
	// The payload area of the message buffer, for zero-copy DATA.
	[[nodiscard]] std::span<std::uint8_t> payload_area()
	{
		return std::span(buf_).subspan(kReplyHeaderSize);
	}

	int send(ReplyType type, std::span<const std::uint8_t> payload)
	{
		hdr_.type = type;
		std::size_t n = encode_reply(hdr_, payload, buf_);
		if (n == 0)
			return -EMSGSIZE;
		return push(n);
	}

	// Sends the @n payload bytes already placed in payload_area().
	int send_data(std::size_t n)
	{
		hdr_.type = ReplyType::Data;
		hdr_.payload_size = static_cast<std::uint32_t>(n);
		encode_reply_header(hdr_, buf_);
		return push(kReplyHeaderSize + n);
	}

	int send_error(int code, std::string_view text)
	{
		return send(ReplyType::Error,
		            encode_error({static_cast<std::uint32_t>(code), std::string(text)}));
	}

private:
	// Waits for room in slices, so that a shutdown that gave up waiting
	// (pool aborting) frees the worker at once instead of after the whole
	// send timeout. Returns -ESHUTDOWN then.
	int push(std::size_t n)
	{
		constexpr std::chrono::milliseconds kSlice{100};
		auto msg = std::span(buf_).first(n);
		auto left = timeout_;
		for (;;) {
			auto wait = std::min(left, kSlice);
			int r = mq_.send(msg, wait);
			if (r == 0) {
				hdr_.seq++;
				return 0;
			}
			left -= wait;
			if (r != -ETIMEDOUT || left.count() <= 0)
				return r;
			if (pool_.aborting())
				return -ESHUTDOWN;
		}
	}

	MessageQueue &mq_;
	std::chrono::milliseconds timeout_;
	const WorkerPool &pool_;
	std::vector<std::uint8_t> buf_;
	ReplyHeader hdr_;
};

Outcome outcome_for_errno(int err)
{
	switch (classify_error(static_cast<std::uint32_t>(err))) {
	case ErrorClass::NotFound: return Outcome::NotFound;
	case ErrorClass::Refused: return Outcome::Refused;
	case ErrorClass::Busy: return Outcome::Busy;
	case ErrorClass::Unavailable: return Outcome::Aborted;
	case ErrorClass::Failed: return Outcome::Failed;
	}
	return Outcome::Failed;
}

Meta meta_from_stat(const struct stat &st)
{
	Meta m;
	m.size = static_cast<std::uint64_t>(st.st_size);
	m.mode = st.st_mode;
	m.uid = st.st_uid;
	m.gid = st.st_gid;
	m.mtime_sec = st.st_mtim.tv_sec;
	m.mtime_nsec = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
	return m;
}

struct Result {
	Outcome outcome = Outcome::Ok;
	int error = 0;
	std::string detail;
	std::uint64_t bytes = 0;
};
// For Transfer::serve, outside this namespace, where util/error.h's Result is seen too.
using ServeResult = Result;

// A send to the client failed: it is gone or not reading.
Result client_lost(int err)
{
	Result r;
	r.outcome = Outcome::Aborted;
	r.error = -err;
	if (err == -ETIMEDOUT)
		r.detail = "client stopped reading (send timed out)";
	else if (err == -ESHUTDOWN)
		r.detail = "cut off by the shutdown timeout";
	else
		r.detail = "cannot send to client: " + errno_string(err);
	return r;
}

// The shutdown timeout struck: tell the client, give up.
Result cut_off(ReplyStream &out, std::uint64_t bytes)
{
	out.send_error(ESHUTDOWN, "server shutting down");
	Result r;
	r.outcome = Outcome::Aborted;
	r.error = ESHUTDOWN;
	r.detail = "cut off by the shutdown timeout";
	r.bytes = bytes;
	return r;
}

// Refuses the request with @err; the client learns why.
Result refuse(ReplyStream &out, int err, const std::string &why)
{
	Result r;
	r.outcome = outcome_for_errno(-err);
	r.error = -err;
	r.detail = why;
	int s = out.send_error(-err, why);
	if (s < 0)
		return client_lost(s);
	return r;
}

Result serve_ping(ReplyStream &out)
{
	int r = out.send(ReplyType::Pong, encode_pong({kVersion, "fileserverd " FILESERVER_VERSION}));
	if (r == 0)
		r = out.send(ReplyType::End, encode_end({0}));
	return r < 0 ? client_lost(r) : Result{};
}

Result serve_status(ReplyStream &out, const std::string &json)
{
	if (json.size() > out.max_payload())
		return refuse(out, -EMSGSIZE, "status does not fit in the reply queue's messages");
	int r = out.send(ReplyType::Status, std::span(reinterpret_cast<const std::uint8_t *>(json.data()),
						      json.size()));
	if (r == 0)
		r = out.send(ReplyType::End, encode_end({0}));
	return r < 0 ? client_lost(r) : Result{};
}

// Opens the request's object for client @uid under the access policy.
int open_for(const ServingContext &ctx, const Request &req, uid_t uid, AccessNeed need, OpenedObject &out,
             std::string &why)
{
	auto r = open_checked(ctx.config.access, ctx.root.get(), uid, req.path, need);
	if (!r) {
		why = r.error().why;
		return -r.error().code;
	}
	out = std::move(r).value();
	return 0;
}

Result serve_stat(ReplyStream &out, const ServingContext &ctx, const Request &req, uid_t uid)
{
	OpenedObject file;
	std::string why;
	int r = open_for(ctx, req, uid, AccessNeed::Inspect, file, why);
	if (r < 0)
		return refuse(out, r, why);
	Meta m = meta_from_stat(file.st);
	m.chunk_size = static_cast<std::uint32_t>(out.max_payload());
	r = out.send(ReplyType::Meta, encode_meta(m));
	if (r == 0)
		r = out.send(ReplyType::End, encode_end({0}));
	return r < 0 ? client_lost(r) : Result{};
}

Result serve_get(ReplyStream &out, const ServingContext &ctx, const Request &req, uid_t uid,
                 const WorkerPool &pool, ServerStats &stats)
{
	OpenedObject file;
	std::string why;
	int r = open_for(ctx, req, uid, AccessNeed::Read, file, why);
	if (r < 0)
		return refuse(out, r, why);

	Meta m = meta_from_stat(file.st);
	if (req.offset > m.size)
		return refuse(out, -ERANGE,
		              "offset " + std::to_string(req.offset) + " is beyond the end of the file (" +
		                      std::to_string(m.size) + " bytes)");
	m.offset = req.offset;
	m.length = std::min(req.length, m.size - req.offset);
	m.chunk_size = static_cast<std::uint32_t>(out.max_payload());
	r = out.send(ReplyType::Meta, encode_meta(m));
	if (r < 0)
		return client_lost(r);

	Result res;
	std::uint64_t pos = m.offset, end = m.offset + m.length;
	auto area = out.payload_area();
	while (pos < end) {
		if (pool.aborting())
			return cut_off(out, res.bytes);
		std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(area.size(), end - pos));
		ssize_t n = pread(file.fd.get(), area.data(), want, static_cast<off_t>(pos));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			std::string text =
			        n < 0 ? "read error: " + errno_string(err) : "file shrank during transfer";
			out.send_error(err, text);
			res.outcome = Outcome::Failed;
			res.error = err;
			res.detail = text;
			return res;
		}
		r = out.send_data(static_cast<std::size_t>(n));
		if (r < 0) {
			Result lost = client_lost(r);
			lost.bytes = res.bytes;
			return lost;
		}
		pos += static_cast<std::uint64_t>(n);
		res.bytes += static_cast<std::uint64_t>(n);
		stats.bytes.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
	}
	r = out.send(ReplyType::End, encode_end({res.bytes}));
	if (r < 0) {
		Result lost = client_lost(r);
		lost.bytes = res.bytes;
		return lost;
	}
	return res;
}

Result serve_list(ReplyStream &out, const ServingContext &ctx, const Request &req, uid_t uid,
                  const WorkerPool &pool)
{
	OpenedObject dir;
	std::string why;
	int r = open_for(ctx, req, uid, AccessNeed::List, dir, why);
	if (r < 0)
		return refuse(out, r, why);

	Meta m = meta_from_stat(dir.st);
	m.chunk_size = static_cast<std::uint32_t>(out.max_payload());
	r = out.send(ReplyType::Meta, encode_meta(m));
	if (r < 0)
		return client_lost(r);

	// fdopendir takes the descriptor; keep ours for fstatat.
	int dfd = fcntl(dir.fd.get(), F_DUPFD_CLOEXEC, 0);
	DIR *d = dfd < 0 ? nullptr : fdopendir(dfd);
	if (!d) {
		int err = errno;
		if (dfd >= 0)
			close(dfd);
		return refuse(out, -err, "cannot read directory");
	}
	std::unique_ptr<DIR, int (*)(DIR *)> guard(d, closedir);

	Result res;
	std::vector<std::uint8_t> payload;
	payload.reserve(out.max_payload());
	std::uint64_t count = 0;
	// Entries that the patterns refuse are not shown either.
	const AccessPolicy &policy = ctx.config.access;
	bool filter = !policy.allow.empty() || !policy.deny.empty();
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno != 0)
				return refuse(out, -errno, "cannot read directory");
			break;
		}
		std::string_view name = de->d_name;
		if (name == "." || name == "..")
			continue;
		if (filter && !entry_permitted(policy, dir.real_path, name))
			continue;
		if (pool.aborting())
			return cut_off(out, res.bytes);
		Entry e;
		e.name = name;
		e.type = de->d_type;
		struct stat st;
		if (fstatat(dir.fd.get(), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			e.mode = st.st_mode;
			e.size = static_cast<std::uint64_t>(st.st_size);
			e.mtime_sec = st.st_mtim.tv_sec;
		}
		if (!append_entry(payload, e, out.max_payload())) {
			r = out.send(ReplyType::Entries, payload);
			if (r < 0)
				return client_lost(r);
			payload.clear();
			if (!append_entry(payload, e, out.max_payload()))
				continue; // cannot happen with kMinReplyMessageSize
		}
		count++;
	}
	if (!payload.empty()) {
		r = out.send(ReplyType::Entries, payload);
		if (r < 0)
			return client_lost(r);
	}
	r = out.send(ReplyType::End, encode_end({count}));
	if (r < 0)
		return client_lost(r);
	res.bytes = 0;
	return res;
}

} // namespace

void Transfer::serve(Job &job)
{
	const Request &req = job.request;
	const ServingContext &ctx = *job.context;
	RequestRecord rec;
	rec.op = req.op;
	rec.path = req.path;
	rec.reply_queue = req.reply_queue;

	ServeResult res;
	MessageQueue &mq = job.reply; // opened by the dispatcher
	const struct stat &st = job.reply_stat;
	struct mq_attr attr;
	int r = mq.attributes(attr);
	if (r < 0) {
		res.outcome = Outcome::Aborted;
		res.error = -r;
		res.detail = "cannot open reply queue " + req.reply_queue + ": " + errno_string(r);
	} else if (attr.mq_msgsize < static_cast<long>(kMinReplyMessageSize)) {
		rec.client_uid = st.st_uid;
		res.outcome = Outcome::Refused;
		res.detail = "reply queue messages too small (" + std::to_string(attr.mq_msgsize) +
		             " bytes, at least " + std::to_string(kMinReplyMessageSize) + " needed)";
		// Tell the client if even that fits.
		ReplyStream out(mq, req, static_cast<std::size_t>(attr.mq_msgsize), ctx.config.send_timeout,
		                pool_);
		out.send_error(EMSGSIZE, res.detail.substr(0, out.max_payload() - kErrorFixedSize));
	} else {
		rec.client_uid = st.st_uid;
		ReplyStream out(mq, req, static_cast<std::size_t>(attr.mq_msgsize), ctx.config.send_timeout,
		                pool_);
		if (st.st_mode & (S_IRGRP | S_IROTH)) {
			// Anyone else who can read the queue could read the file.
			res = refuse(out, -EACCES, "reply queue is readable by group or others");
		} else if (pool_.aborting()) {
			res = refuse(out, -ESHUTDOWN, "server shutting down");
			res.outcome = Outcome::Aborted;
		} else {
			switch (req.op) {
			case Op::Ping: res = serve_ping(out); break;
			case Op::Status: res = serve_status(out, status_()); break;
			case Op::Stat: res = serve_stat(out, ctx, req, st.st_uid); break;
			case Op::Get: res = serve_get(out, ctx, req, st.st_uid, pool_, stats_); break;
			case Op::List: res = serve_list(out, ctx, req, st.st_uid, pool_); break;
			}
		}
	}

	(res.outcome == Outcome::Ok ? stats_.served : stats_.failed).fetch_add(1, std::memory_order_relaxed);
	rec.outcome = res.outcome;
	rec.error = res.error;
	rec.bytes = res.bytes;
	rec.detail = res.detail;
	rec.duration_usec = monotonic_usec() - job.received_usec;
	log_request(rec);
}

void reply_error_now(const MessageQueue &mq, const Request &req, int code, const std::string &why)
{
	ReplyHeader hdr;
	hdr.type = ReplyType::Error;
	hdr.request_id = req.id;
	hdr.nonce = req.nonce;
	auto payload = encode_error({static_cast<std::uint32_t>(code), why});
	std::vector<std::uint8_t> buf(kReplyHeaderSize + payload.size());
	std::size_t n = encode_reply(hdr, payload, buf);
	(void)mq.try_send(std::span(buf).first(n));
}

} // namespace fileserver
