// SPDX-License-Identifier: MIT
#include "journal.h"

#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

#include "server/request-log.h"
#include "util/text.h"

namespace fileserver {

namespace {

void journal_request(int priority, const std::string &message, const RequestRecord &rec)
{
	std::string path = escape_for_terminal(rec.path);
	long uid = rec.client_uid == static_cast<uid_t>(-1) ? -1L : static_cast<long>(rec.client_uid);
	sd_journal_send("MESSAGE=%s", message.c_str(), "PRIORITY=%d", priority,
	                "SYSLOG_IDENTIFIER=fileserverd", "FILESERVER_OP=%s",
	                std::string(protocol::to_string(rec.op)).c_str(), "FILESERVER_PATH=%s", path.c_str(),
	                "FILESERVER_UID=%ld", uid, "FILESERVER_BYTES=%llu",
	                static_cast<unsigned long long>(rec.bytes), "FILESERVER_DURATION_USEC=%llu",
	                static_cast<unsigned long long>(rec.duration_usec), "FILESERVER_OUTCOME=%s",
	                std::string(to_string(rec.outcome)).c_str(), "FILESERVER_ERRNO=%d", rec.error,
	                "FILESERVER_SESSION=%016llx", static_cast<unsigned long long>(rec.session_id),
	                "FILESERVER_CLIENT_PID=%ld", static_cast<long>(rec.client_pid), nullptr);
}

} // namespace

bool stderr_is_journal()
{
	const char *e = std::getenv("JOURNAL_STREAM");
	if (!e)
		return false;
	unsigned long long dev = 0, ino = 0;
	if (std::sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	struct stat st;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void setup_journal_logging()
{
	auto logger = spdlog::systemd_logger_mt("fileserverd-journal", "fileserverd");
	logger->set_pattern("%v");
	logger->flush_on(spdlog::level::trace);
	spdlog::set_default_logger(logger);
	set_structured_request_logger(journal_request);
}

} // namespace fileserver
