// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>
#include <vector>

namespace fileserver {

// The components of @path between slashes, in order, empty ones included:
// "a//b/" gives "a", "", "b", "". Callers decide what "" and "." mean.
inline std::vector<std::string_view> path_components(std::string_view path)
{
	std::vector<std::string_view> parts;
	std::size_t start = 0;
	while (start <= path.size()) {
		std::size_t end = path.find('/', start);
		if (end == std::string_view::npos)
			end = path.size();
		parts.push_back(path.substr(start, end - start));
		start = end + 1;
	}
	return parts;
}

} // namespace fileserver
