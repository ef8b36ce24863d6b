// SPDX-License-Identifier: MIT
#pragma once

#include <string_view>
#include <vector>

namespace fileserver {

// Calls @f on each component of @path between slashes, in order, empty ones
// included ("a//b/" gives "a", "", "b", ""), until it returns false; false
// then. Callers decide what "" and "." mean. Allocates nothing: it runs for
// every request.
template<typename F>
bool each_component(std::string_view path, F &&f)
{
	std::size_t start = 0;
	while (start <= path.size()) {
		std::size_t end = path.find('/', start);
		if (end == std::string_view::npos)
			end = path.size();
		if (!f(path.substr(start, end - start)))
			return false;
		start = end + 1;
	}
	return true;
}

// The same components as a list.
inline std::vector<std::string_view> path_components(std::string_view path)
{
	std::vector<std::string_view> parts;
	each_component(path, [&](std::string_view c) {
		parts.push_back(c);
		return true;
	});
	return parts;
}

} // namespace fileserver
