// SPDX-License-Identifier: MIT
#pragma once

// A fake server for the client's unit tests: a real queue that the test
// creates and a thread that reads it, answers OPEN with a CHALLENGE (or what
// the test asks for), and answers session requests with reply streams that
// the test scripts, malformed on purpose if it likes.

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "util/random.h"

namespace fileserver::test {

using protocol::ReplyType;
using namespace std::chrono_literals;

// One reply message of a script; the tweaks make it foreign or out of order.
struct Scripted {
	ReplyType type;
	std::vector<std::uint8_t> payload;
	bool wrong_id = false;
	bool wrong_secret = false;
	std::int64_t seq_shift = 0;
};

inline Scripted msg(ReplyType type, std::vector<std::uint8_t> payload = {})
{
	return {type, std::move(payload)};
}

template<std::size_t N>
std::vector<std::uint8_t> vec(const std::array<std::uint8_t, N> &a)
{
	return {a.begin(), a.end()};
}

inline Scripted meta(std::uint64_t size)
{
	protocol::Meta m;
	m.size = size;
	m.length = size;
	m.mode = 0100644;
	return msg(ReplyType::Meta, vec(protocol::encode_meta(m)));
}

inline Scripted end(std::uint64_t total)
{
	return msg(ReplyType::End, vec(protocol::encode_end(protocol::End{total})));
}

inline Scripted data(const std::string &s)
{
	return msg(ReplyType::Data, std::vector<std::uint8_t>(s.begin(), s.end()));
}

inline Scripted error(std::uint32_t code, std::string text)
{
	return msg(ReplyType::Error, protocol::encode_error(protocol::Error{code, std::move(text)}));
}

inline std::vector<Scripted> pong()
{
	return {msg(ReplyType::Pong, protocol::encode_pong({})), end(0)};
}

class FakeServer
{
public:
	// How the next OPENs are answered.
	enum class OnOpen {
		Challenge,    // a CHALLENGE
		ForeignFirst, // a CHALLENGE with another nonce, then the real one
		Error,        // open_error
		Silence,      // nothing
	};

	FakeServer()
	{
		char name[64];
		std::snprintf(name, sizeof(name), "/fileserver-unit-%d-%016llx", getpid(),
		              static_cast<unsigned long long>(random_u64()));
		name_ = name;
		REQUIRE(MessageQueue::create(name_, O_RDWR, 0600, 4, 1024, queue_) == 0);
		thread_ = std::thread([this] { serve(); });
	}
	~FakeServer()
	{
		// A zero-length message ends the thread, after whatever came first
		// (a CLOSE from a Client destroyed before this).
		(void)queue_.send({}, 10s);
		thread_.join();
		mq_unlink(name_.c_str());
	}
	FakeServer(const FakeServer &) = delete;
	FakeServer &operator=(const FakeServer &) = delete;

	[[nodiscard]] Client client(std::chrono::milliseconds timeout = 10s) const
	{
		return Client(ClientOptions{name_, timeout});
	}

	// Answers the next session request with @script.
	void answer(std::vector<Scripted> script)
	{
		std::lock_guard g(lock_);
		scripts_.push_back(std::move(script));
	}
	void on_open(OnOpen mode, protocol::Error err = {})
	{
		std::lock_guard g(lock_);
		on_open_ = mode;
		open_error_ = std::move(err);
	}
	// As a restarted server: every session opened so far is unknown.
	void forget_sessions()
	{
		std::lock_guard g(lock_);
		sessions_.clear();
	}

	// What came in, in order (waits for the thread to have read @count
	// requests, so that a CLOSE sent at destruction can be checked).
	std::vector<protocol::Request> requests(std::size_t count = 0)
	{
		std::unique_lock g(lock_);
		changed_.wait_for(g, 10s, [&] { return requests_.size() >= count; });
		return requests_;
	}
	std::size_t count(protocol::Op op)
	{
		std::lock_guard g(lock_);
		std::size_t n = 0;
		for (const auto &r : requests_)
			n += r.op == op;
		return n;
	}
	// The last session request answered with a script.
	protocol::Request received()
	{
		std::lock_guard g(lock_);
		return answered_;
	}
	// Session requests with an unknown session id or a wrong secret.
	std::size_t rejected()
	{
		std::lock_guard g(lock_);
		return rejected_;
	}

private:
	struct Known {
		protocol::Secret secret;
		std::shared_ptr<MessageQueue> queue;
	};

	void serve()
	{
		std::vector<std::uint8_t> buf(1024);
		for (;;) {
			long n = queue_.receive(buf, 30s);
			if (n <= 0)
				return;
			protocol::Request req;
			if (protocol::decode_request(std::span(buf.data(), static_cast<std::size_t>(n)),
			                             req) != protocol::Status::Ok)
				continue;
			std::unique_lock g(lock_);
			requests_.push_back(req);
			changed_.notify_all();
			if (req.op == protocol::Op::Open)
				open(req);
			else
				session_request(req);
		}
	}

	void open(const protocol::Request &req)
	{
		auto q = std::make_shared<MessageQueue>();
		if (MessageQueue::open(req.reply_queue, O_WRONLY, *q) < 0 || on_open_ == OnOpen::Silence)
			return;
		if (on_open_ == OnOpen::Error) {
			send(*q, ReplyType::Error, req.id, req.nonce, 0, protocol::encode_error(open_error_));
			return;
		}
		protocol::Challenge ch;
		ch.session = random_u64() | 1;
		random_bytes(ch.secret);
		ch.idle_timeout_ms = 60000;
		if (on_open_ == OnOpen::ForeignFirst) {
			protocol::Nonce other = req.nonce;
			other[0] ^= 1;
			send(*q, ReplyType::Challenge, req.id, other, 0, vec(protocol::encode_challenge(ch)));
		}
		sessions_[ch.session] = {ch.secret, q};
		send(*q, ReplyType::Challenge, req.id, req.nonce, 0, vec(protocol::encode_challenge(ch)));
	}

	void session_request(const protocol::Request &req)
	{
		auto it = sessions_.find(req.session);
		if (it == sessions_.end() || it->second.secret != req.nonce) {
			rejected_++;
			return;
		}
		if (req.op == protocol::Op::Close) {
			sessions_.erase(it);
			return;
		}
		if (scripts_.empty())
			return;
		answered_ = req;
		std::vector<Scripted> script = std::move(scripts_.front());
		scripts_.pop_front();
		std::uint64_t seq = 0;
		for (const auto &s : script) {
			protocol::Secret secret = req.nonce;
			if (s.wrong_secret)
				secret[0] ^= 1;
			std::uint64_t sent_seq =
			        static_cast<std::uint64_t>(static_cast<std::int64_t>(seq) + s.seq_shift);
			if (!s.wrong_id && !s.wrong_secret)
				seq++;
			if (!send(*it->second.queue, s.type, req.id + (s.wrong_id ? 1 : 0), secret, sent_seq,
			          s.payload))
				return;
		}
	}

	static bool send(const MessageQueue &q, ReplyType type, std::uint64_t id,
	                 const protocol::Nonce &nonce, std::uint64_t seq,
	                 const std::vector<std::uint8_t> &payload)
	{
		protocol::ReplyHeader h;
		h.type = type;
		h.request_id = id;
		h.nonce = nonce;
		h.seq = seq;
		std::vector<std::uint8_t> out(protocol::kReplyHeaderSize + payload.size());
		std::size_t len = protocol::encode_reply(h, payload, out);
		return q.send(std::span(out.data(), len), 10s) == 0;
	}

	std::string name_;
	MessageQueue queue_;
	std::mutex lock_;
	std::condition_variable changed_;
	std::deque<std::vector<Scripted>> scripts_;
	OnOpen on_open_ = OnOpen::Challenge;
	protocol::Error open_error_;
	std::map<std::uint64_t, Known> sessions_;
	std::vector<protocol::Request> requests_;
	protocol::Request answered_;
	std::size_t rejected_ = 0;
	std::thread thread_; // last: started when the rest exists
};

} // namespace fileserver::test
