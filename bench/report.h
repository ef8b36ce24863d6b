// SPDX-License-Identifier: MIT
#pragma once

#include <nlohmann/json.hpp>

namespace fileserver::bench {

// Prints the results table (docs/performance.md shows one) from the JSON
// report that is written alongside it.
void print_report(const nlohmann::json &r);

} // namespace fileserver::bench
