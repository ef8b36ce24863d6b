// SPDX-License-Identifier: MIT
#pragma once

// Fetching the files of one `get` over one session, one after the other:
// each to its own local file (atomically, or NAME.part with --continue),
// under one progress bar; a failed file is reported on standard error and
// the rest goes on, unless the failure stops everything (cli/exit-status.h).

#include <cstdint>
#include <optional>
#include <string>

#include "cli/exit-status.h"
#include "cli/fetch-plan.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "cli/session.h"

namespace fileserver::cli {

struct FetchTally {
	std::uint64_t files = 0; // fetched completely
	std::uint64_t bytes = 0; // received (a resumed file: the rest only)
	std::uint64_t failed = 0;
	ExitStatus status = ExitStatus::Ok; // the worst failure's
};

// "N files, N bytes fetched; N failed"
std::string summary_line(const FetchTally &t);

class Fetcher
{
public:
	// @bar: the whole transfer's progress bar, or null.
	Fetcher(Session &session, const GetOptions &options, ProgressBar *bar);

	// false: the failure stops everything (reported already). With
	// @directory, a PATH that turns out to be a directory (the GET's EISDIR)
	// is neither reported nor counted: the error goes there. @next, the
	// file fetched right after this one if known, is asked for as soon as
	// this one has arrived, so that the server prepares it while this one
	// is linked in and the next created (fileserver_get_ahead(3)).
	bool fetch(const PlannedFile &file, Error *directory = nullptr, const PlannedFile *next = nullptr);
	// Reports "fileserverctl: WHAT: WHY" and counts a failure.
	void fail(const std::string &what, const Error &error);
	// After a failure that stops everything: @left files were not tried.
	void abandon(std::uint64_t left);
	// Reports a path left out on purpose; not a failure.
	void note(const std::string &what, const std::string &why);
	[[nodiscard]] const FetchTally &tally() const { return tally_; }

private:
	Result<void> fetch_atomic(const PlannedFile &file, const PlannedFile *next);
	Result<void> fetch_partial(const PlannedFile &file);
	Result<void> get_into(const PlannedFile &file, std::uint64_t offset,
	                      const std::function<int(const protocol::Meta &)> &check,
	                      const std::function<int(std::span<const std::uint8_t>)> &write);
	void verbose(const std::string &what, const std::string &text);

	Session &session_;
	const GetOptions &options_;
	ProgressBar *bar_;
	FetchTally tally_;
	std::uint64_t done_ = 0;    // bytes under the bar so far
	std::uint64_t planned_ = 0; // the bar's total
	std::uint32_t mode_ = 0;    // the permission bits of the file's META
};

} // namespace fileserver::cli
