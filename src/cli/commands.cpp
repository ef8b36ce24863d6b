// SPDX-License-Identifier: MIT
#include "cli/commands.h"

#include <unistd.h>

#include <algorithm>

#include "cli/format.h"
#include "cli/get-command.h"
#include "cli/interrupt-cleanup.h"
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

ExitStatus cmd_ping(Session &session, const Options &o)
{
	const std::string &q = o.client.queue;
	auto r = session.ping();
	if (!r)
		return report(r.error(), "ping " + q);
	return o.json ? print_json(ping_json(q, *r)) : print(ping_human(q, *r, stdout_is_terminal()));
}

ExitStatus cmd_status(Session &session, const Options &o)
{
	auto r = session.status();
	if (!r)
		return report(r.error(), "status " + o.client.queue);
	auto j = parse_status(*r);
	if (!j)
		return report(j.error(), "status");
	return o.json ? print_json(*j) : print(status_human(*j, stdout_is_terminal()));
}

ExitStatus cmd_stat(Session &session, const Options &o)
{
	auto r = session.stat(o.path);
	if (!r)
		return report(r.error(), o.path);
	return o.json ? print_json(stat_json(o.path, *r))
	              : print(stat_human(o.path, *r, stdout_is_terminal()));
}

ExitStatus cmd_ls(Session &session, const Options &o)
{
	auto r = session.list(o.path);
	if (!r)
		return report(r.error(), o.path.empty() ? "." : o.path);
	return o.json ? print_json(ls_json(std::move(*r)))
	              : print(ls_human(std::move(*r), stdout_is_terminal()));
}

// The library's messages come escaped already (fileserver_error_message());
// the CLI's own may hold raw names. Text whose escaping would only double
// its backslashes is shown as it is: a backslash does nothing to a terminal.
std::string shown_reason(const std::string &why)
{
	std::string escaped = escape_for_terminal(why);
	if (escaped.size() == why.size() + static_cast<std::size_t>(std::count(why.begin(), why.end(), '\\')))
		return why;
	return escaped;
}

} // namespace

ExitStatus report(const Error &error, const std::string &what)
{
	std::string msg = "fileserverctl: ";
	if (!what.empty())
		msg += escape_for_terminal(what) + ": ";
	msg += shown_reason(error.why) + "\n";
	(void)write_all(STDERR_FILENO, msg);
	return exit_status(error);
}

ExitStatus run_command(Session &session, const Options &o)
{
	if (o.command == "ping")
		return cmd_ping(session, o);
	if (o.command == "status")
		return cmd_status(session, o);
	if (o.command == "stat")
		return cmd_stat(session, o);
	if (o.command == "ls")
		return cmd_ls(session, o);
	return cmd_get(session, o);
}

int run(const Options &o)
{
	install_interrupt_cleanup();
	Session session(o.client.queue, o.client.timeout);
	return to_int(run_command(session, o));
}

} // namespace fileserver::cli
