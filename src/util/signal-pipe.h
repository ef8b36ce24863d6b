// SPDX-License-Identifier: MIT
#pragma once

#include <initializer_list>
#include <memory>

#include "unique-fd.h"

namespace fileserver {

// Turns signals into bytes on a pipe that a poll loop reads.
//
// glibc's mq_notify(SIGEV_THREAD) helper threads run with every signal
// unblocked, so blocking signals and reading a signalfd is not enough: a
// signal may land on such a thread. Real handlers that only write() work
// whichever thread the kernel picks.
class SignalPipe
{
public:
	// Creates the pipe and installs handlers for @signals; returns 0 or
	// -errno (util never throws). One SignalPipe per process at a time.
	static int create(std::initializer_list<int> signals, std::unique_ptr<SignalPipe> &out);
	~SignalPipe();
	SignalPipe(const SignalPipe &) = delete;
	SignalPipe &operator=(const SignalPipe &) = delete;

	[[nodiscard]] int fd() const { return read_end_.get(); }
	// Returns the next pending signal number, or 0 if none is pending.
	int next();

private:
	SignalPipe() = default;

	UniqueFD read_end_;
	UniqueFD write_end_;
};

} // namespace fileserver
