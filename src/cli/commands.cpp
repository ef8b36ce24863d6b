// SPDX-License-Identifier: MIT
#include "cli/commands.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include "cli/format.h"
#include "cli/progress.h"
#include "client/output-target.h"
#include "client/signal-cleanup.h"
#include "util/io.h"
#include "util/text.h"

namespace fileserver::cli {

namespace {

bool stdout_is_terminal()
{
	return isatty(STDOUT_FILENO) == 1;
}

// Results go to standard output; a failed write there is a local error.
ExitStatus print(const std::string &text)
{
	if (int e = write_all(STDOUT_FILENO, text); e < 0) {
		report(Error::from_errno(e, "cannot write to standard output"), "");
		return ExitStatus::Failed;
	}
	return ExitStatus::Ok;
}

ExitStatus print_json(const nlohmann::json &j)
{
	return print(dump_line(j) + "\n");
}

ExitStatus cmd_ping(const Client &client, const Options &o)
{
	const std::string &q = o.client.queue;
	auto r = client.ping();
	if (!r)
		return report(r.error(), "ping " + q);
	return o.json ? print_json(ping_json(q, *r)) : print(ping_human(q, *r, stdout_is_terminal()));
}

ExitStatus cmd_status(const Client &client, const Options &o)
{
	auto r = client.status();
	if (!r)
		return report(r.error(), "status " + o.client.queue);
	auto j = parse_status(*r);
	if (!j)
		return report(j.error(), "status");
	return o.json ? print_json(*j) : print(status_human(*j, stdout_is_terminal()));
}

ExitStatus cmd_stat(const Client &client, const Options &o)
{
	auto r = client.stat(o.path);
	if (!r)
		return report(r.error(), o.path);
	return o.json ? print_json(stat_json(o.path, *r))
	              : print(stat_human(o.path, *r, stdout_is_terminal()));
}

ExitStatus cmd_ls(const Client &client, const Options &o)
{
	auto r = client.list(o.path);
	if (!r)
		return report(r.error(), o.path.empty() ? "." : o.path);
	return o.json ? print_json(ls_json(std::move(r->entries)))
	              : print(ls_human(std::move(r->entries), stdout_is_terminal()));
}

// The progress bar goes to stderr when it is a terminal, but not over data
// written to that same terminal.
bool want_progress(const GetOptions &g, OutputTarget::Kind kind)
{
	if (g.quiet || !isatty(STDERR_FILENO))
		return false;
	return !(kind == OutputTarget::Kind::Stdout && stdout_is_terminal());
}

std::string base_name(std::string path)
{
	while (path.size() > 1 && path.back() == '/')
		path.pop_back();
	auto slash = path.find_last_of('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
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

ExitStatus cmd_get(const Client &client, const Options &o)
{
	OutputTarget out;
	if (auto r = out.open(o.get.output.empty() ? "-" : o.get.output); !r) {
		report(r.error(), "");
		return ExitStatus::Failed;
	}
	std::optional<ProgressBar> bar;
	std::uint64_t received = 0;
	Client::MetaHandler on_meta;
	if (want_progress(o.get, out.kind()))
		on_meta = [&](const protocol::Meta &m) {
			if (m.length >= kProgressMinBytes)
				bar.emplace(STDERR_FILENO, base_name(o.path), m.length);
		};
	auto r =
	        client.get(o.path, o.get.offset, o.get.length, on_meta, [&](std::span<const std::uint8_t> d) {
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
	return ExitStatus::Ok;
}

} // namespace

ExitStatus report(const Error &error, const std::string &what)
{
	std::string msg = "fileserverctl: ";
	if (!what.empty())
		msg += escape_for_terminal(what) + ": ";
	msg += escape_for_terminal(error.why) + "\n";
	(void)write_all(STDERR_FILENO, msg);
	return exit_status(error);
}

ExitStatus run_command(const Client &client, const Options &o)
{
	if (o.command == "ping")
		return cmd_ping(client, o);
	if (o.command == "status")
		return cmd_status(client, o);
	if (o.command == "stat")
		return cmd_stat(client, o);
	if (o.command == "ls")
		return cmd_ls(client, o);
	return cmd_get(client, o);
}

int run(const Options &o)
{
	install_cleanup_handlers();
	Client client(o.client);
	ExitStatus status = run_command(client, o);
	// Anyone may write to a reply queue: say so when someone did.
	if (std::uint64_t foreign = client.foreign_messages())
		std::fprintf(stderr,
		             "fileserverctl: warning: dropped %llu message(s) that were not part of this "
		             "reply (forged, or left from another request)\n",
		             static_cast<unsigned long long>(foreign));
	return to_int(status);
}

} // namespace fileserver::cli
