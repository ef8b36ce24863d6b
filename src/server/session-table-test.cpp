// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

#include "server/request-test-helpers.h"
#include "server/session-table.h"
#include "util/constant-time.h"

using namespace fileserver;
using namespace fileserver::test;
using namespace std::chrono_literals;

namespace {

// A clock the test moves by hand.
struct FakeClock {
	std::uint64_t now = 1000000;
	SessionTable::Clock source()
	{
		return [this] { return now; };
	}
};

// A child process that lives until killed; reaped on destruction.
struct Child {
	pid_t pid = -1;
	Child()
	{
		pid = fork();
		REQUIRE(pid >= 0);
		if (pid == 0) {
			for (;;)
				pause();
		}
	}
	void kill_and_wait()
	{
		if (pid > 0) {
			::kill(pid, SIGKILL);
			waitpid(pid, nullptr, 0);
			pid = -1;
		}
	}
	~Child() { kill_and_wait(); }
};

SessionLimits limits(unsigned total, unsigned per_uid)
{
	SessionLimits l;
	l.max_sessions = total;
	l.max_per_uid = per_uid;
	l.idle_timeout = 60s;
	return l;
}

} // namespace

TEST_SUITE_BEGIN("session-table");

TEST_CASE("a created session has a random id and secret, starts CHALLENGED, and is found by its secret")
{
	TestQueue q("st");
	SessionTable table;
	auto s = session_on(q);
	REQUIRE(table.create(s, limits(10, 10)));
	CHECK(s->id != 0);
	CHECK(s->secret != protocol::Secret{});
	CHECK(table.size() == 1);
	CHECK(table.challenged() == 1);
	CHECK(s->state.load() == SessionState::Challenged);

	auto found = table.lookup(s->id, s->secret);
	REQUIRE(found == s);
	CHECK(s->state.load() == SessionState::Active);
	CHECK(table.challenged() == 0);
	CHECK(table.size() == 1);
}

TEST_CASE("a wrong secret or an unknown id finds nothing")
{
	TestQueue q("st");
	SessionTable table;
	auto s = session_on(q);
	REQUIRE(table.create(s, limits(10, 10)));
	auto wrong = s->secret;
	wrong[15] ^= 1;
	CHECK(table.lookup(s->id, wrong) == nullptr);
	CHECK(table.lookup(s->id + 1, s->secret) == nullptr);
	CHECK(s->state.load() == SessionState::Challenged); // not proven by a wrong secret
}

TEST_CASE("the secret compare is constant-time: it looks at every byte whatever differs")
{
	std::uint8_t a[16] = {}, b[16] = {};
	CHECK(equal_constant_time(a, b));
	b[0] = 1;
	CHECK_FALSE(equal_constant_time(a, b));
	b[0] = 0;
	b[15] = 0x80;
	CHECK_FALSE(equal_constant_time(a, b));
	CHECK_FALSE(equal_constant_time(std::span(a, 15), std::span(b, 16)));
}

TEST_CASE("max_sessions and the per-uid limit refuse with EBUSY and say which")
{
	TestQueue q1("st"), q2("st"), q3("st");
	SessionTable table;
	auto a = session_on(q1), b = session_on(q2), c = session_on(q3);
	REQUIRE(table.create(a, limits(2, 1)));
	auto r = table.create(b, limits(2, 1));
	REQUIRE_FALSE(r);
	CHECK(r.error().code == EBUSY);
	CHECK(r.error().why == "server busy: too many sessions of uid " + std::to_string(getuid()));
	REQUIRE(table.create(b, limits(2, 2)));
	r = table.create(c, limits(2, 5));
	REQUIRE_FALSE(r);
	CHECK(r.error().code == EBUSY);
	CHECK(r.error().why == "server busy: 2 sessions open");
	CHECK(table.close(a->id, SessionEnd::Close));
	CHECK(table.create(c, limits(2, 5)));
}

TEST_CASE("at most 4 CHALLENGED sessions per reply queue; answering one makes room")
{
	TestQueue q("st");
	SessionTable table;
	std::vector<std::shared_ptr<Session>> open;
	for (unsigned i = 0; i < kMaxChallengedPerQueue; i++) {
		open.push_back(session_on(q));
		CHECK_FALSE(table.challenge_limit_reached(open.back()->reply_stat));
		REQUIRE(table.create(open.back(), limits(100, 100)));
	}
	auto extra = session_on(q);
	CHECK(table.challenge_limit_reached(extra->reply_stat));
	auto r = table.create(extra, limits(100, 100));
	REQUIRE_FALSE(r);
	CHECK(r.error().code == EAGAIN);
	REQUIRE(table.lookup(open[0]->id, open[0]->secret)); // now ACTIVE: no longer counted
	CHECK_FALSE(table.challenge_limit_reached(extra->reply_stat));
	CHECK(table.create(extra, limits(100, 100)));

	TestQueue other("st"); // another queue has its own count
	CHECK_FALSE(table.challenge_limit_reached(session_on(other)->reply_stat));
}

TEST_CASE("close ends a session: marked closed, gone from the table, descriptors kept by holders")
{
	TestQueue q("st");
	SessionTable table;
	auto s = session_on(q);
	REQUIRE(table.create(s, limits(10, 10)));
	CHECK(table.close(s->id, SessionEnd::Close));
	CHECK(s->closed.load());
	CHECK(table.size() == 0);
	CHECK(table.challenged() == 0);
	CHECK(table.lookup(s->id, s->secret) == nullptr);
	CHECK_FALSE(table.close(s->id, SessionEnd::Close));
	CHECK(s->reply.valid()); // a job holding it still has its queue
}

TEST_CASE("a client process that exits is reaped through its pidfd")
{
	TestQueue q("st");
	SessionTable table;
	Child child;
	auto s = session_on(q, child.pid);
	REQUIRE(table.create(s, limits(10, 10)));
	auto other = session_on(q); // this process: alive
	REQUIRE(table.create(other, limits(10, 10)));
	CHECK(table.reap() == 0);

	child.kill_and_wait();
	struct pollfd p = {table.exit_fd(), POLLIN, 0};
	REQUIRE(poll(&p, 1, 60000) == 1); // what the main loop waits for
	CHECK(table.reap() == 1);
	CHECK(s->closed.load());
	CHECK_FALSE(other->closed.load());
	CHECK(table.size() == 1);
	CHECK(poll(&p, 1, 0) == 0); // no longer watched
}

TEST_CASE("sweep closes idle sessions, and CHALLENGED ones after 10 s, but not one with a job in flight")
{
	TestQueue q("st");
	FakeClock clock;
	SessionTable table(clock.source());
	auto challenged = session_on(q), idle = session_on(q), busy = session_on(q);
	SessionLimits l = limits(10, 10);
	l.idle_timeout = 30s;
	REQUIRE(table.create(challenged, l));
	REQUIRE(table.create(idle, l));
	REQUIRE(table.create(busy, l));
	REQUIRE(table.lookup(idle->id, idle->secret));
	REQUIRE(table.lookup(busy->id, busy->secret));
	SessionRef job(table.lookup(busy->id, busy->secret), clock.now);

	clock.now += 9999999;
	CHECK(table.sweep(l) == 0);
	clock.now += 1;
	CHECK(table.sweep(l) == 1);
	CHECK(challenged->closed.load());

	clock.now += 20000000; // 30 s after the last use
	CHECK(table.sweep(l) == 1);
	CHECK(idle->closed.load());
	CHECK_FALSE(busy->closed.load());
	CHECK(table.size() == 1);
}

TEST_CASE("close_all ends every session")
{
	TestQueue q("st");
	SessionTable table;
	auto a = session_on(q), b = session_on(q);
	REQUIRE(table.create(a, limits(10, 10)));
	REQUIRE(table.create(b, limits(10, 10)));
	table.close_all();
	CHECK(table.size() == 0);
	CHECK(a->closed.load());
	CHECK(b->closed.load());
}

TEST_SUITE_END();
