// SPDX-License-Identifier: MIT
#pragma once

#include <time.h>

#include <chrono>

namespace fileserver {

// mq_timedsend()/mq_timedreceive() take an absolute CLOCK_REALTIME deadline.
inline struct timespec realtime_deadline(std::chrono::milliseconds from_now)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(from_now).count();
	ts.tv_sec += ns / 1000000000;
	ts.tv_nsec += ns % 1000000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

inline uint64_t monotonic_usec()
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

} // namespace fileserver
