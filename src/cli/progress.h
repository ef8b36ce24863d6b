// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace fileserver {

// Transfers smaller than this get no progress bar: they are over before a
// reader could take it in.
inline constexpr std::uint64_t kProgressMinBytes = 1024 * 1024;

// "1.5 MiB", "512 B": binary units, one decimal from KiB up.
std::string format_bytes(double bytes);
// "0:07", "12:34", "1:02:03"; "--:--" if unknown or implausibly long.
std::string format_duration(double seconds);

struct ProgressState {
	std::string label;      // the file name; shortened or dropped to fit
	std::uint64_t done = 0; // bytes received so far
	std::uint64_t total = 0;
	double rate = 0;    // bytes per second; 0 if not known yet
	double elapsed = 0; // seconds since the transfer began
	bool finished = false;
};

// One line of at most @width columns (no newline), e.g.
//   big.iso  42% [========>            ] 126.0 MiB/300.0 MiB  61.2 MiB/s  ETA 0:03
// and, once finished, the average rate and the time taken instead of the ETA.
std::string render_progress(const ProgressState &s, int width);

// A progress bar, for one file or for a whole transfer of several, redrawn in place on a terminal (carriage
// return, erase to end of line), at most ten times a second. It never fails the transfer: write errors on the
// terminal are ignored.
class ProgressBar
{
public:
	using Clock = std::chrono::steady_clock;

	ProgressBar(int fd, std::string label, std::uint64_t total);
	ProgressBar(const ProgressBar &) = delete;
	ProgressBar &operator=(const ProgressBar &) = delete;

	void update(std::uint64_t done);
	// Several files under one bar: the label names the current one, the
	// total may grow as their sizes become known.
	void set_label(std::string label);
	void set_total(std::uint64_t total);
	// Erases the line so that a message starts on a clean one; the next
	// update draws the bar again.
	void interrupt();
	// Success: the final line, then a newline. Failure: erases the line,
	// so that the error message starts on a clean one.
	void finish(bool ok);

private:
	void draw(Clock::time_point now, bool finished);

	int fd_;
	ProgressState state_;
	Clock::time_point start_;
	Clock::time_point last_draw_{};
	std::uint64_t last_done_ = 0;
	bool drawn_ = false;
	bool closed_ = false;
};

} // namespace fileserver
