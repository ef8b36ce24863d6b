// SPDX-License-Identifier: MIT
#include "cli/get-command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <set>

#include "cli/commands.h"
#include "cli/fetch.h"
#include "cli/progress.h"
#include "client/output-target.h"
#include "util/errno-util.h"
#include "util/io.h"

namespace fileserver::cli {

namespace {

// The progress bar goes to stderr when it is a terminal, but not over data
// written to that same terminal.
bool want_progress(const GetOptions &g, OutputTarget::Kind kind)
{
	if (g.quiet || !isatty(STDERR_FILENO))
		return false;
	return !(kind == OutputTarget::Kind::Stdout && isatty(STDOUT_FILENO) == 1);
}

// The server ends a GET with ESTALE when the file changed while it was sent.
ExitStatus report_get_failure(const Error &error, const Options &o, OutputTarget::Kind kind)
{
	if (error.code != ESTALE)
		return report(error, o.path);
	std::string left = kind == OutputTarget::Kind::Replace ? "; " + o.get.output + " was left as it was"
	                                                       : "; the output is incomplete";
	report(Error{ESTALE, "the file changed on the server while it was sent" + left + " (try again)"},
	       o.path);
	return ExitStatus::Failed;
}

ExitStatus finish(const Fetcher &f, const GetOptions &g)
{
	const FetchTally &t = f.tally();
	if (t.failed > 0 || g.verbose)
		(void)write_all(STDERR_FILENO, "fileserverctl: " + summary_line(t) + "\n");
	return t.status;
}

// One PATH to standard output, or to -o FILE replaced atomically.
ExitStatus get_one(Session &session, const Options &o)
{
	OutputTarget out;
	if (auto r = out.open(o.get.output.empty() ? "-" : o.get.output); !r) {
		report(r.error(), "");
		return ExitStatus::Failed;
	}
	std::optional<ProgressBar> bar;
	std::uint64_t received = 0;
	Session::MetaHandler on_meta;
	if (want_progress(o.get, out.kind()))
		on_meta = [&](const protocol::Meta &m) {
			if (m.length >= kProgressMinBytes)
				bar.emplace(STDERR_FILENO, base_name(o.path), m.length);
			return 0;
		};
	auto r = session.get(o.path, o.get.offset, o.get.length, on_meta,
	                     [&](std::span<const std::uint8_t> d) {
		                     int e = out.write(d);
		                     if (e == 0 && bar)
			                     bar->update(received += d.size());
		                     return e;
	                     });
	if (!r) {
		if (bar)
			bar->finish(false);
		out.discard();
		return report_get_failure(r.error(), o, out.kind());
	}
	auto c = out.commit();
	if (bar)
		bar->finish(c.ok());
	if (!c) {
		report(c.error(), "");
		return ExitStatus::Failed;
	}
	if (o.get.verbose)
		(void)write_all(STDERR_FILENO,
		                "fileserverctl: " + summary_line({1, received, 0, ExitStatus::Ok}) + "\n");
	return ExitStatus::Ok;
}

// One PATH to -o FILE with --continue: through FILE.part.
ExitStatus get_one_resumable(Session &session, const Options &o)
{
	auto target = resolve_final_symlinks(o.get.output);
	if (!target) {
		report(target.error(), "");
		return ExitStatus::Failed;
	}
	struct stat st;
	if (::stat(target->c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
		report(Error{EINVAL, "--continue writes regular files only"}, o.get.output);
		return ExitStatus::Failed;
	}
	Fetcher f(session, o.get, nullptr);
	f.fetch({o.path, *target, 0, 0, false});
	return finish(f, o.get);
}

Result<void> make_dest(const std::string &dir)
{
	if (mkdir(dir.c_str(), 0777) == 0)
		return {};
	int err = errno;
	struct stat st;
	if (err == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
		return {};
	if (err == EEXIST)
		err = ENOTDIR;
	return Error::from_errno(err, "cannot create " + dir + ": " + errno_string(err));
}

// Private until complete: nobody sees a file of the tree before its mode is set.
void make_dirs(const std::vector<PlannedDir> &dirs, Fetcher &f)
{
	for (const auto &d : dirs)
		if (mkdir(d.local.c_str(), 0700) < 0 && errno != EEXIST)
			f.fail(d.local, Error{EIO, "cannot create the directory: " + errno_string(errno)});
}

void report_notes(const FetchPlan &plan, Fetcher &f)
{
	for (const auto &n : plan.failed)
		f.fail(n.remote, n.error);
	for (const auto &n : plan.skipped)
		f.note(n.remote, n.error.why);
}

// An unseen operand turned out a directory: with -r, its tree goes into
// @plan right after it (so that the order stays that of the operands).
// false: a failure that stops everything (reported).
bool expand_directory(const RemoteTree &remote, const GetOptions &g, std::size_t at, FetchPlan &plan,
                      Fetcher &f)
{
	std::string path = plan.files[at].remote;
	if (!g.recursive) {
		f.fail(path, Error{EISDIR, "is a directory (use -r to fetch its tree)"});
		return true;
	}
	FetchPlan tree;
	if (auto r = plan_path(remote, path, g.output_dir, true, tree); !r) {
		report(r.error(), path);
		return false;
	}
	report_notes(tree, f);
	make_dirs(tree.dirs, f);
	plan.dirs.insert(plan.dirs.end(), tree.dirs.begin(), tree.dirs.end());
	plan.files.insert(plan.files.begin() + static_cast<std::ptrdiff_t>(at) + 1,
	                  std::make_move_iterator(tree.files.begin()),
	                  std::make_move_iterator(tree.files.end()));
	return true;
}

// Several files with -O DIR, and trees with -r: one session, one bar.
ExitStatus get_many(Session &session, const Options &o)
{
	const GetOptions &g = o.get;
	if (auto r = make_dest(g.output_dir); !r) {
		report(r.error(), "");
		return ExitStatus::Failed;
	}
	// Without a bar to size (nor --continue, which stats each file), the
	// operands are not asked about first: each GET's META (or its EISDIR)
	// says what it is. Trees are listed before they are fetched.
	bool want_bar = !g.quiet && isatty(STDERR_FILENO) == 1;
	bool unseen = !want_bar && !g.resume;
	FetchPlan plan;
	RemoteTree remote{[&](const std::string &p) { return session.stat(p); },
	                  [&](const std::string &p) { return session.list(p); }};
	for (const auto &path : g.paths) {
		if (unseen && plan_unseen_path(path, g.output_dir, g.recursive, plan))
			continue;
		if (auto r = plan_path(remote, path, g.output_dir, g.recursive, plan); !r)
			return report(r.error(), path);
	}

	std::optional<ProgressBar> bar;
	if (want_bar && plan.total_bytes() >= kProgressMinBytes)
		bar.emplace(STDERR_FILENO, "", plan.total_bytes());
	Fetcher f(session, g, bar ? &*bar : nullptr);
	report_notes(plan, f);
	make_dirs(plan.dirs, f);
	std::set<std::string> seen;
	for (std::size_t i = 0; i < plan.files.size(); i++) {
		const PlannedFile &file = plan.files[i];
		if (!seen.insert(file.local).second) {
			f.fail(file.remote, Error{EEXIST, "another PATH is written to " + file.local});
			continue;
		}
		// What comes next is known unless this one turns out a directory
		// (its tree goes in between), or the next is refused unasked.
		const PlannedFile *next = nullptr;
		if (i + 1 < plan.files.size() && !file.unseen && !seen.contains(plan.files[i + 1].local))
			next = &plan.files[i + 1];
		Error directory;
		bool go_on = f.fetch(file, file.unseen ? &directory : nullptr, next);
		if (go_on && directory.code == EISDIR) {
			seen.erase(file.local); // a directory, not a file, goes there
			go_on = expand_directory(remote, g, i, plan, f);
		}
		if (!go_on) {
			f.abandon(plan.files.size() - i - 1);
			break;
		}
	}
	// Deepest first, so that a read-only directory is filled before it
	// becomes one. DIR itself (the tree of the root) keeps its mode.
	for (auto d = plan.dirs.rbegin(); d != plan.dirs.rend(); ++d)
		if (d->local != g.output_dir && chmod(d->local.c_str(), d->mode) < 0)
			f.fail(d->local, Error{EIO, "cannot set the mode: " + errno_string(errno)});
	if (bar)
		bar->finish(f.tally().failed == 0);
	return finish(f, g);
}

} // namespace

ExitStatus cmd_get(Session &session, const Options &o)
{
	if (!o.get.output_dir.empty())
		return get_many(session, o);
	if (o.get.resume)
		return get_one_resumable(session, o);
	return get_one(session, o);
}

} // namespace fileserver::cli
