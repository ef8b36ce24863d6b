// SPDX-License-Identifier: MIT
#include "status-counts.h"

namespace fileserver::bench {

namespace {

bool get_count(const nlohmann::json &j, const char *key, std::uint64_t &out)
{
	auto it = j.find(key);
	if (it == j.end() || !it->is_number_unsigned())
		return false;
	out = it->get<std::uint64_t>();
	return true;
}

} // namespace

std::optional<StatusCounts> parse_status(std::string_view text)
{
	nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
	StatusCounts s;
	if (!j.is_object() || !get_count(j, "busy", s.busy) || !get_count(j, "waiting", s.waiting) ||
	    !get_count(j, "failed", s.failed))
		return std::nullopt;
	s.has_parked = get_count(j, "parked", s.parked);
	return s;
}

bool back_to_idle(const StatusCounts &now, const StatusCounts &idle)
{
	return now.busy <= idle.busy && now.parked <= idle.parked && now.waiting <= idle.waiting;
}

nlohmann::json to_json(const StatusCounts &s)
{
	nlohmann::json j = {{"busy", s.busy}, {"waiting", s.waiting}, {"failed", s.failed}};
	if (s.has_parked)
		j["parked"] = s.parked;
	return j;
}

} // namespace fileserver::bench
