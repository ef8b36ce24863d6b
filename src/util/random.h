// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <span>

namespace fileserver {

// Fills @buf from the kernel's CSPRNG (getrandom); aborts if it cannot,
// since a predictable nonce would defeat its purpose.
void random_bytes(std::span<std::uint8_t> buf);
std::uint64_t random_u64();

} // namespace fileserver
