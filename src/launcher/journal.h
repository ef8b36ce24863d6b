// SPDX-License-Identifier: MIT
#pragma once

namespace fileserver {

// True when stderr is connected to the journal ($JOURNAL_STREAM names it),
// i.e. when systemd started us with the default StandardError=journal.
bool stderr_is_journal();

// Logs to the journal natively: spdlog messages with their priority, and
// one entry per request with FILESERVER_* fields, so that for example
// `journalctl -u fileserver FILESERVER_OUTCOME=refused` works.
void setup_journal_logging();

} // namespace fileserver
