// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace fileserver::bench {

// The stalled-clients phase's rows (stalled-phase.cpp makes its JSON);
// @small_size: the fresh client's files.
void print_stalled(const nlohmann::json &s, std::uint64_t small_size);

} // namespace fileserver::bench
