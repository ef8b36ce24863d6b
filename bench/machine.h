// SPDX-License-Identifier: MIT
#pragma once

#include <nlohmann/json.hpp>

namespace fileserver::bench {

// The machine and build the numbers come from: CPUs, kernel, mqueue limits.
nlohmann::json machine_info();

} // namespace fileserver::bench
