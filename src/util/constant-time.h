// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <span>

namespace fileserver {

// Compares two byte strings in a time that depends only on their sizes, not
// on where they differ: for secrets, so that timing tells nothing of them.
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

} // namespace fileserver
