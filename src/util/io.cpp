// SPDX-License-Identifier: MIT
#include "io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "unique-fd.h"

namespace fileserver {

int write_all(int fd, std::span<const std::uint8_t> data)
{
	while (!data.empty()) {
		ssize_t n = ::write(fd, data.data(), data.size());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data = data.subspan(static_cast<std::size_t>(n));
	}
	return 0;
}

int write_all(int fd, std::string_view data)
{
	return write_all(fd, std::span(reinterpret_cast<const std::uint8_t *>(data.data()), data.size()));
}

long read_proc_long(const char *path, long fallback)
{
	UniqueFD fd(::open(path, O_RDONLY | O_CLOEXEC));
	if (!fd)
		return fallback;
	char buf[64];
	ssize_t n = ::read(fd.get(), buf, sizeof(buf) - 1);
	if (n <= 0)
		return fallback;
	buf[n] = '\0';
	char *end = nullptr;
	errno = 0;
	long v = std::strtol(buf, &end, 10);
	if (errno != 0 || end == buf)
		return fallback;
	return v;
}

} // namespace fileserver
