// SPDX-License-Identifier: MIT
#pragma once

// What the configuration's unit tests share: the ConfigError a call
// throws, a key's refusal both as a file and as overrides, a temporary
// directory.

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/server-conf.h"

namespace fileserver::test {

// Returns the ConfigError message that @fn throws; fails the test if it
// throws nothing or something else.
template<typename Fn>
std::string config_error(Fn &&fn)
{
	try {
		fn();
	} catch (const ConfigError &e) {
		return e.what();
	} catch (const std::exception &e) {
		FAIL("expected ConfigError, got another exception: " << e.what());
		return {};
	}
	FAIL("expected ConfigError, nothing was thrown");
	return {};
}

inline bool contains(const std::string &haystack, std::string_view needle)
{
	return haystack.find(needle) != std::string::npos;
}

// Checks that @obj, given as a file and as overrides, is refused with a
// message naming @key.
inline void check_refused(const nlohmann::json &obj, std::string_view key)
{
	CAPTURE(obj.dump());
	std::string quoted = "\"" + std::string(key) + "\"";
	std::string msg = config_error([&] { make_config(obj, nullptr); });
	CAPTURE(msg);
	CHECK(contains(msg, quoted));
	msg = config_error([&] { make_config(nullptr, obj); });
	CHECK(contains(msg, quoted));
}

struct ConfDir {
	std::string path;
	ConfDir()
	{
		char tmpl[] = "/tmp/fs-conf-test-XXXXXX";
		REQUIRE(mkdtemp(tmpl) != nullptr);
		path = tmpl;
	}
	~ConfDir()
	{
		std::error_code ec;
		std::filesystem::remove_all(path, ec);
	}
	ConfDir(const ConfDir &) = delete;
	ConfDir &operator=(const ConfDir &) = delete;

	std::string write(const std::string &name, std::string_view text) const
	{
		std::string p = path + "/" + name;
		int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		REQUIRE(fd >= 0);
		REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
		close(fd);
		return p;
	}
};

} // namespace fileserver::test
