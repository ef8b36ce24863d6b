// SPDX-License-Identifier: MIT
#include "random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace fileserver {

void random_bytes(std::span<std::uint8_t> buf)
{
	std::size_t done = 0;
	while (done < buf.size()) {
		ssize_t n = getrandom(buf.data() + done, buf.size() - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			std::abort();
		}
		done += static_cast<std::size_t>(n);
	}
}

std::uint64_t random_u64()
{
	std::uint8_t b[8];
	random_bytes(b);
	std::uint64_t v;
	std::memcpy(&v, b, sizeof(v));
	return v;
}

} // namespace fileserver
