// SPDX-License-Identifier: MIT
#include "constant-time.h"

namespace fileserver {

// Out of line, and every byte folded into one accumulator read through a
// volatile: the compiler can neither inline it nor stop at the first difference.
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b)
{
	if (a.size() != b.size())
		return false;
	volatile std::uint8_t diff = 0;
	for (std::size_t i = 0; i < a.size(); i++)
		diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
	return diff == 0;
}

} // namespace fileserver
