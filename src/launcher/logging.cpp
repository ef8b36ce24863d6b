// SPDX-License-Identifier: MIT
#include "logging.h"

#include <syslog.h>
#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include "server/request-log.h"

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

void setup_syslog_logging()
{
	auto level = spdlog::default_logger() ? spdlog::default_logger()->level() : spdlog::level::info;
	// The console or journal logger of the launching process has no use
	// here, and a journal request logger would bypass syslog.
	set_structured_request_logger(nullptr);
	spdlog::drop_all();
	// syslog adds its own timestamp, ident and PID: the payload is enough.
	auto logger = spdlog::syslog_logger_mt("fileserverd-syslog", "fileserverd", LOG_PID | LOG_NDELAY,
	                                       LOG_DAEMON, false);
	logger->set_level(level);
	logger->flush_on(spdlog::level::trace);
	spdlog::set_default_logger(logger);
}

void set_log_level(const std::string &level)
{
	spdlog::set_level(spdlog::level::from_str(level));
}

} // namespace fileserver
