// SPDX-License-Identifier: MIT
#pragma once

#include <unistd.h>

#include <utility>

namespace fileserver {

// Move-only owner of a file descriptor; closes it on destruction.
class UniqueFD
{
public:
	UniqueFD() = default;
	explicit UniqueFD(int fd) : fd_(fd) {}
	UniqueFD(UniqueFD &&other) noexcept : fd_(other.release()) {}
	UniqueFD &operator=(UniqueFD &&other) noexcept
	{
		reset(other.release());
		return *this;
	}
	UniqueFD(const UniqueFD &) = delete;
	UniqueFD &operator=(const UniqueFD &) = delete;
	~UniqueFD() { reset(); }

	[[nodiscard]] int get() const { return fd_; }
	[[nodiscard]] bool valid() const { return fd_ >= 0; }
	explicit operator bool() const { return valid(); }

	[[nodiscard]] int release() { return std::exchange(fd_, -1); }
	void reset(int fd = -1)
	{
		int old = std::exchange(fd_, fd);
		if (old >= 0)
			::close(old);
	}

private:
	int fd_ = -1;
};

} // namespace fileserver
