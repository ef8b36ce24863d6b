// SPDX-License-Identifier: MIT
// libFuzzer harness for the configuration parser: parse_config_text() and
// make_config() on arbitrary file text. Whatever the text, the only way to
// fail is a ConfigError (fileserverd reports it and keeps or refuses the
// configuration); a configuration that loads must survive the trip through
// config_json() (what --check-config prints and a re-exec hands over).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

#include <nlohmann/json.hpp>

#include "server/server-conf.h"

using namespace fileserver;

namespace {

void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

// The result of loading: a configuration, or a ConfigError.
struct Loaded {
	bool ok = false;
	Config config;
};

template<typename F>
Loaded load(F &&f)
{
	Loaded r;
	try {
		r.config = f();
		r.ok = true;
	} catch (const ConfigError &) {
		// The documented failure.
	} catch (const std::exception &e) {
		// Anything else breaks the contract of server-conf.h. Say what
		// escaped: the crash report shows only the abort.
		std::fprintf(stderr, "fuzz-config: %s escaped instead of a ConfigError: %s\n",
		             typeid(e).name(), e.what());
		std::abort();
	} catch (...) {
		std::fprintf(stderr, "fuzz-config: a non-std exception escaped instead of a ConfigError\n");
		std::abort();
	}
	return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	std::string_view text(reinterpret_cast<const char *>(data), size);
	nlohmann::json parsed;
	bool parsed_ok = false;
	Loaded file = load([&] {
		parsed = parse_config_text(text, "fuzz.json");
		parsed_ok = true;
		return make_config(parsed, nullptr);
	});

	// The command line (overrides) has the same keys and checks as the file.
	if (parsed_ok) {
		Loaded overrides = load([&] { return make_config(nullptr, parsed); });
		check(overrides.ok == file.ok);
		check(!file.ok || overrides.config == file.config);
	}
	if (!file.ok)
		return 0;

	// config_json() lists every key with a value make_config() accepts.
	const Config &c = file.config;
	Loaded again = load([&] { return make_config(config_json(c), nullptr); });
	check(again.ok && again.config == c);

	// And so does its text: --check-config prints it, a re-exec parses it.
	Loaded reparsed =
	        load([&] { return make_config(parse_config_text(config_json(c).dump(), "dump"), nullptr); });
	check(reparsed.ok && reparsed.config == c);
	return 0;
}
