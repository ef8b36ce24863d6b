// SPDX-License-Identifier: MIT
#include "cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <utility>

#include "util/io.h"
#include "util/text.h"

namespace fileserver {

namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
constexpr int kMaxBarWidth = 40;
constexpr int kMinBarWidth = 10;
constexpr std::size_t kMaxLabel = 32;

int terminal_width(int fd)
{
	struct winsize ws = {};
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

std::string shorten(const std::string &s, std::size_t max)
{
	if (s.size() <= max)
		return s;
	if (max <= 3)
		return s.substr(0, max);
	return s.substr(0, max - 3) + "...";
}

// The bar never fails the transfer: write errors on the terminal are ignored.
void ignore_errors(int fd, const std::string &s)
{
	(void)write_all(fd, s);
}

} // namespace

std::string format_bytes(double bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	std::size_t u = 0;
	while (bytes >= 1024 && u + 1 < std::size(units)) {
		bytes /= 1024;
		u++;
	}
	char b[32];
	if (u == 0)
		std::snprintf(b, sizeof(b), "%.0f B", bytes);
	else
		std::snprintf(b, sizeof(b), "%.1f %s", bytes, units[u]);
	return b;
}

std::string format_duration(double seconds)
{
	if (!std::isfinite(seconds) || seconds < 0 || seconds >= 100 * 3600)
		return "--:--";
	auto t = static_cast<long>(std::lround(seconds));
	char b[32];
	if (t >= 3600)
		std::snprintf(b, sizeof(b), "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		std::snprintf(b, sizeof(b), "%ld:%02ld", t / 60, t % 60);
	return b;
}

std::string render_progress(const ProgressState &s, int width)
{
	std::uint64_t done = std::min(s.done, s.total);
	int percent =
	        s.total == 0
	                ? 100
	                : static_cast<int>(static_cast<double>(done) * 100 / static_cast<double>(s.total));
	if (s.finished && s.done >= s.total)
		percent = 100;
	char pct[8];
	std::snprintf(pct, sizeof(pct), "%3d%%", percent);

	// Fixed-width fields, so that the bar keeps its length while the
	// numbers change.
	auto field = [](const std::string &v, int w, bool left) {
		char b[64];
		std::snprintf(b, sizeof(b), left ? "%-*s" : "%*s", w, v.c_str());
		return std::string(b);
	};
	std::string eta =
	        s.rate > 0 ? format_duration(static_cast<double>(s.total - done) / s.rate) : "--:--";
	std::string right = field(format_bytes(static_cast<double>(done)), 10, false) + "/" +
	                    field(format_bytes(static_cast<double>(s.total)), 10, true) + " " +
	                    field(s.rate > 0 ? format_bytes(s.rate) + "/s" : "", 12, false) + "  ETA " +
	                    field(eta, 5, true);
	if (s.finished) {
		double avg = s.elapsed > 0 ? static_cast<double>(s.done) / s.elapsed : 0;
		char took[32];
		if (s.elapsed < 60)
			std::snprintf(took, sizeof(took), "%.1fs", s.elapsed);
		else
			std::snprintf(took, sizeof(took), "%s", format_duration(s.elapsed).c_str());
		std::string fin = field(format_bytes(static_cast<double>(s.done)), 10, false) + " " +
		                  field(avg > 0 ? format_bytes(avg) + "/s" : "", 12, false) + "  in " + took;
		right = field(fin, static_cast<int>(right.size()), true);
	}

	// The last column stays free: writing there makes some terminals wrap.
	int avail = std::max(width, 20) - 1;
	// A file name may hold anything but '/' and NUL: keep escape sequences
	// off the terminal.
	std::string label = shorten(escape_for_terminal(s.label), kMaxLabel);
	auto fixed = static_cast<int>(std::char_traits<char>::length(pct) + 1 + right.size());
	auto bar_for = [&](const std::string &l) {
		return avail - fixed - 3 - static_cast<int>(l.size()) - (l.empty() ? 0 : 1);
	};
	int bar = bar_for(label);
	if (bar < kMinBarWidth && !label.empty()) {
		int room = avail - fixed - 3 - kMinBarWidth - 1;
		label = room >= 4 ? shorten(label, static_cast<std::size_t>(room)) : "";
		bar = bar_for(label);
	}
	bar = std::min(bar, kMaxBarWidth);

	std::string line;
	if (!label.empty())
		line = label + " ";
	line += pct;
	if (bar >= kMinBarWidth) {
		auto fill = static_cast<int>(static_cast<long>(bar) * percent / 100);
		line += " [";
		line += std::string(static_cast<std::size_t>(fill), '=');
		if (fill < bar) {
			line += '>';
			line += std::string(static_cast<std::size_t>(bar - fill - 1), ' ');
		}
		line += "]";
	}
	line += " " + right;
	if (line.size() > static_cast<std::size_t>(avail))
		line.resize(static_cast<std::size_t>(avail));
	return line;
}

ProgressBar::ProgressBar(int fd, std::string label, std::uint64_t total) : fd_(fd), start_(Clock::now())
{
	state_.label = std::move(label);
	state_.total = total;
}

void ProgressBar::update(std::uint64_t done)
{
	if (closed_)
		return;
	state_.done = done;
	auto now = Clock::now();
	if (drawn_ && now - last_draw_ < kRedrawInterval)
		return;
	// Over the first second the average since the start is the best
	// estimate; after that, a moving average that follows changes in speed
	// within a few seconds.
	double elapsed = std::chrono::duration<double>(now - start_).count();
	if (elapsed < 1.0) {
		state_.rate = elapsed >= 0.05 ? static_cast<double>(done) / elapsed : 0;
	} else {
		double dt = std::chrono::duration<double>(now - last_draw_).count();
		double current = dt > 0 ? static_cast<double>(done - last_done_) / dt : state_.rate;
		state_.rate = state_.rate > 0 ? 0.8 * state_.rate + 0.2 * current : current;
	}
	last_done_ = done;
	draw(now, false);
}

void ProgressBar::set_label(std::string label)
{
	state_.label = std::move(label);
}

void ProgressBar::set_total(std::uint64_t total)
{
	state_.total = total;
}

void ProgressBar::interrupt()
{
	if (closed_ || !drawn_)
		return;
	ignore_errors(fd_, "\r\033[K");
	drawn_ = false;
}

void ProgressBar::finish(bool ok)
{
	if (closed_)
		return;
	closed_ = true;
	if (!ok) {
		if (drawn_)
			ignore_errors(fd_, "\r\033[K");
		return;
	}
	draw(Clock::now(), true);
	ignore_errors(fd_, "\n");
}

void ProgressBar::draw(Clock::time_point now, bool finished)
{
	state_.elapsed = std::chrono::duration<double>(now - start_).count();
	state_.finished = finished;
	// Appended piece by piece: GCC 12 at -O3 warns -Wrestrict (a false
	// positive) on "\r" + std::string + "...".
	std::string line = "\r";
	line += render_progress(state_, terminal_width(fd_));
	line += "\033[K";
	ignore_errors(fd_, line);
	last_draw_ = now;
	drawn_ = true;
}

} // namespace fileserver
