// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <unistd.h>

#include <string>

#include "cli/progress.h"

using namespace fileserver;

namespace {

ProgressState state(std::uint64_t done, std::uint64_t total, double rate = 0)
{
	ProgressState s;
	s.label = "big.iso";
	s.done = done;
	s.total = total;
	s.rate = rate;
	return s;
}

} // namespace

TEST_CASE("progress: units and durations")
{
	CHECK(format_bytes(0) == "0 B");
	CHECK(format_bytes(1023) == "1023 B");
	CHECK(format_bytes(1536) == "1.5 KiB");
	CHECK(format_bytes(300.0 * 1024 * 1024) == "300.0 MiB");
	CHECK(format_duration(7) == "0:07");
	CHECK(format_duration(754) == "12:34");
	CHECK(format_duration(3723) == "1:02:03");
	CHECK(format_duration(-1) == "--:--");
	CHECK(format_duration(1e9) == "--:--");
}

TEST_CASE("progress: a line fits its width and shows label, percentage, bar and numbers")
{
	std::uint64_t mib = 1024 * 1024;
	std::string line = render_progress(state(126 * mib, 300 * mib, 61.2 * mib), 100);
	CHECK(line.size() <= 99); // the last column stays free
	CHECK(line.find("big.iso  42% [") == 0);
	CHECK(line.find("126.0 MiB/300.0 MiB") != std::string::npos);
	CHECK(line.find("61.2 MiB/s") != std::string::npos);
	CHECK(line.find("ETA 0:03") != std::string::npos);
	for (int width : {20, 40, 60, 80, 200}) {
		CAPTURE(width);
		CHECK(render_progress(state(mib, 300 * mib), width).size() <=
		      static_cast<std::size_t>(width - 1));
	}
}

TEST_CASE("progress: finished line shows the average rate and time taken")
{
	ProgressState s = state(10 * 1024 * 1024, 10 * 1024 * 1024);
	s.finished = true;
	s.elapsed = 2.0;
	std::string line = render_progress(s, 100);
	CHECK(line.find("100%") != std::string::npos);
	CHECK(line.find("5.0 MiB/s") != std::string::npos);
	CHECK(line.find("in 2.0s") != std::string::npos);
	CHECK(line.find("ETA") == std::string::npos);
}

TEST_CASE("progress: the label is escaped, never raw control characters")
{
	ProgressState s = state(1, 2);
	s.label = "a\x1b]0;pwned\x07";
	std::string line = render_progress(s, 120);
	CHECK(line.find('\x1b') == std::string::npos);
	CHECK(line.find('\x07') == std::string::npos);
	CHECK(line.find("a\\033]0;pwned\\a") == 0);
}

TEST_CASE("progress: the bar redraws in place and ends with a newline, or erases itself on failure")
{
	for (bool ok : {true, false}) {
		CAPTURE(ok);
		int fds[2];
		REQUIRE(pipe(fds) == 0);
		{
			ProgressBar bar(fds[1], "f", 100);
			bar.update(50);
			bar.finish(ok);
			bar.update(60); // after finish: ignored
		}
		close(fds[1]);
		char buf[4096];
		ssize_t n = read(fds[0], buf, sizeof(buf));
		close(fds[0]);
		REQUIRE(n > 0);
		std::string out(buf, static_cast<std::size_t>(n));
		CHECK(out.rfind("\rf  50% [", 0) == 0);
		if (ok)
			CHECK(out.substr(out.size() - 4) == "\033[K\n");
		else
			CHECK(out.substr(out.size() - 4) == "\r\033[K");
	}
}

TEST_CASE("progress: one bar for several files; a message in between starts on a clean line")
{
	int fds[2];
	REQUIRE(pipe(fds) == 0);
	{
		ProgressBar bar(fds[1], "first", 100);
		bar.update(10);
		bar.interrupt();
		bar.interrupt(); // nothing drawn since: nothing to erase
		bar.set_label("second");
		bar.set_total(200);
		bar.update(150); // drawn at once after an interruption
		bar.finish(true);
	}
	close(fds[1]);
	char buf[8192];
	ssize_t n = read(fds[0], buf, sizeof(buf));
	close(fds[0]);
	REQUIRE(n > 0);
	std::string out(buf, static_cast<std::size_t>(n));
	auto erase = out.find("\r\033[K\r");
	REQUIRE(erase != std::string::npos);
	CHECK(out.find("\r\033[K\r\033[K") == std::string::npos);
	CHECK(out.find("\rsecond  75% [", erase) != std::string::npos);
	CHECK(out.find("/200 B") != std::string::npos);
}
