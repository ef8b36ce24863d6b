// SPDX-License-Identifier: MIT
#include "logging.h"

#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace fileserver {

void setup_console_logging()
{
	std::shared_ptr<spdlog::logger> logger;
	if (isatty(STDERR_FILENO)) {
		logger = spdlog::stderr_color_mt("fileserverd");
		logger->set_pattern("%H:%M:%S.%e %^%-7l%$ %v");
	} else {
		logger = spdlog::stderr_logger_mt("fileserverd");
		logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [%l] %v");
	}
	logger->flush_on(spdlog::level::trace);
	spdlog::set_default_logger(logger);
}

void set_log_level(const std::string &level)
{
	spdlog::set_level(spdlog::level::from_str(level));
}

} // namespace fileserver
