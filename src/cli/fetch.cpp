// SPDX-License-Identifier: MIT
#include "cli/fetch.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>

#include "cli/commands.h"
#include "cli/partial-file.h"
#include "client/atomic-file.h"
#include "util/errno-util.h"
#include "util/io.h"
#include "util/text.h"

namespace fileserver::cli {

namespace {

// A GET aborted here because the file is not the version the partial file
// holds a prefix of; not an errno the server or the library uses.
constexpr int kChangedSinceStat = ECANCELED;

// A local failure: exit status 1 whatever the errno (EACCES here is not
// the server's refusal).
Error cannot(const char *what, const std::string &name, int err)
{
	return Error{EIO, std::string("cannot ") + what + " " + name + ": " + errno_string(err)};
}

} // namespace

std::string summary_line(const FetchTally &t)
{
	char b[128];
	std::snprintf(b, sizeof(b), "%" PRIu64 " files, %" PRIu64 " bytes fetched; %" PRIu64 " failed",
	              t.files, t.bytes, t.failed);
	return b;
}

Fetcher::Fetcher(Session &session, const GetOptions &options, ProgressBar *bar)
        : session_(session), options_(options), bar_(bar)
{}

void Fetcher::fail(const std::string &what, const Error &error)
{
	if (bar_)
		bar_->interrupt();
	tally_.failed++;
	// The server ends a GET with ESTALE when the file changed while it was
	// sent: the local file was left as it was.
	ExitStatus s = error.code == ESTALE
	                       ? report(Error{ESTALE,
	                                      "the file changed on the server while it was sent (try again)"},
	                                what)
	                       : report(error, what);
	tally_.status = worst(tally_.status, s);
}

void Fetcher::abandon(std::uint64_t left)
{
	if (left == 0)
		return;
	if (bar_)
		bar_->interrupt();
	tally_.failed += left;
	(void)write_all(STDERR_FILENO,
	                "fileserverctl: stopped: " + std::to_string(left) + " more file(s) not fetched\n");
}

void Fetcher::note(const std::string &what, const std::string &why)
{
	if (bar_)
		bar_->interrupt();
	(void)write_all(STDERR_FILENO, "fileserverctl: " + escape_for_terminal(what) +
	                                       ": skipped: " + escape_for_terminal(why) + "\n");
}

void Fetcher::verbose(const std::string &what, const std::string &text)
{
	if (!options_.verbose)
		return;
	if (bar_)
		bar_->interrupt();
	(void)write_all(STDERR_FILENO, "fileserverctl: " + escape_for_terminal(what) + ": " + text + "\n");
}

bool Fetcher::fetch(const PlannedFile &file, Error *directory, const PlannedFile *next)
{
	planned_ += file.size;
	auto r = options_.resume ? fetch_partial(file) : fetch_atomic(file, next);
	if (r) {
		tally_.files++;
		return true;
	}
	if (directory && r.error().code == EISDIR) {
		planned_ -= file.size;
		*directory = r.take_error();
		return true;
	}
	fail(file.remote, r.error());
	return !stops_everything(exit_status(r.error()));
}

Result<void> Fetcher::get_into(const PlannedFile &file, std::uint64_t offset,
                               const std::function<int(const protocol::Meta &)> &check,
                               const std::function<int(std::span<const std::uint8_t>)> &write)
{
	if (bar_)
		bar_->set_label(file.remote);
	std::uint64_t start = done_;
	auto on_meta = [&](const protocol::Meta &m) {
		if (check)
			if (int e = check(m); e < 0)
				return e;
		// The size and mode now, rather than the ones listed (if any).
		mode_ = m.mode & kPermissionBits;
		if (m.size != file.size) {
			planned_ = planned_ - file.size + m.size;
			if (bar_)
				bar_->set_total(planned_);
		}
		done_ = start + offset;
		return 0;
	};
	auto sink = [&](std::span<const std::uint8_t> d) {
		int e = write(d);
		if (e < 0)
			return e;
		tally_.bytes += d.size();
		done_ += d.size();
		if (bar_)
			bar_->update(done_);
		return 0;
	};
	auto r = session_.get(file.remote, offset, protocol::kToEnd, on_meta, sink);
	if (!r)
		done_ = start;
	return r;
}

Result<void> Fetcher::fetch_atomic(const PlannedFile &file, const PlannedFile *next)
{
	AtomicFile out;
	if (int e = out.open(file.local); e < 0)
		return cannot("create", file.local, e);
	auto r = get_into(file, 0, nullptr, [&](std::span<const std::uint8_t> d) { return out.write(d); });
	if (!r) {
		out.discard();
		return r;
	}
	// A hint: if it cannot be sent, the next GET sends its own request.
	if (next)
		session_.get_ahead(next->remote);
	// A plain create's mode, or with -r the server's. The directories of a
	// tree stay private (0700) until it is complete.
	if (int e = out.commit(file.keep_mode ? std::optional(mode_) : std::nullopt); e < 0)
		return cannot("write", file.local, e);
	return {};
}

Result<void> Fetcher::fetch_partial(const PlannedFile &file)
{
	PartialFile part;
	if (int e = part.open(file.local); e < 0)
		return cannot("open", file.local + ".part", e);
	// Two rounds at most: a file that changes between the STAT and the
	// GET of a resume is fetched whole in the second.
	bool force_restart = false;
	for (int round = 0; round < 2; round++) {
		auto st = session_.stat(file.remote);
		if (!st)
			return st.take_error();
		SourceStamp remote = stamp_of(*st);
		ResumeDecision d = decide_resume(force_restart ? std::nullopt : part.existing_size(),
		                                 part.recorded(), remote);
		if (d.offset == 0) {
			if (!d.why_restart.empty())
				verbose(file.remote, "fetching the whole file again: " + d.why_restart);
			if (int e = part.restart(remote); e < 0)
				return cannot("write", part.path(), e);
		} else {
			verbose(file.remote, "resuming at byte " + std::to_string(d.offset));
		}
		auto check = [&](const protocol::Meta &m) {
			if (stamp_of(m) == remote)
				return 0;
			return d.offset > 0 ? -kChangedSinceStat : part.restart(stamp_of(m));
		};
		auto r = get_into(file, d.offset, check,
		                  [&](std::span<const std::uint8_t> data) { return part.write(data); });
		if (!r && r.error().code == kChangedSinceStat) {
			verbose(file.remote, "fetching the whole file again: it changed on the server");
			force_restart = true;
			continue;
		}
		if (!r)
			return r;
		if (int e = part.commit(file.keep_mode ? mode_ : plain_create_mode()); e < 0)
			return cannot("write", file.local, e);
		return {};
	}
	return Error{ESTALE, "the file keeps changing on the server (try again)"};
}

} // namespace fileserver::cli
