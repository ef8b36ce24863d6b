// SPDX-License-Identifier: MIT
#include "cli/fetch-plan.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "cli/exit-status.h"

namespace fileserver::cli {

namespace {

constexpr std::size_t kMaxRemotePath = 4096; // the protocol's limit

class Planner
{
public:
	Planner(const RemoteTree &remote, FetchPlan &plan) : remote_(remote), plan_(plan) {}

	// false: a failure that stops everything, in fatal_.
	bool note_failure(const std::string &remote, Error e)
	{
		if (stops_everything(exit_status(e))) {
			fatal_ = std::move(e);
			return false;
		}
		plan_.failed.push_back({remote, std::move(e)});
		return true;
	}

	void skip(const std::string &remote, std::string why)
	{
		plan_.skipped.push_back({remote, Error{0, std::move(why)}});
	}

	bool add_dir(const std::string &remote, const std::string &local, std::uint32_t mode)
	{
		plan_.dirs.push_back({local, mode & kPermissionBits});
		return walk(remote, local);
	}

	bool walk(const std::string &remote_dir, const std::string &local_dir)
	{
		auto entries = remote_.list(remote_dir);
		if (!entries)
			return note_failure(remote_dir.empty() ? "." : remote_dir, entries.take_error());
		// Sorted: the same tree gives the same order, messages included.
		std::sort(entries->begin(), entries->end(),
		          [](const auto &a, const auto &b) { return a.name < b.name; });
		for (const auto &e : *entries)
			if (!entry(remote_dir, local_dir, e))
				return false;
		return true;
	}

	bool entry(const std::string &remote_dir, const std::string &local_dir, const protocol::Entry &e)
	{
		std::string remote = join_path(remote_dir, e.name);
		if (!valid_entry_name(e.name)) {
			// This entry only (exit status 6); the rest of the tree goes on.
			plan_.failed.push_back(
			        {remote, Error{EBADMSG, "the server listed an invalid file name"}});
			return true;
		}
		if (remote.size() > kMaxRemotePath)
			return note_failure(remote, Error{ENAMETOOLONG, "path too long"});
		std::string local = local_dir + "/" + e.name;
		switch (e.type) {
		case DT_DIR: return add_dir(remote, local, e.mode);
		case DT_REG:
			plan_.files.push_back({remote, local, e.size, e.mode & kPermissionBits, true});
			return true;
		case DT_LNK:
		case DT_UNKNOWN: break;
		default: skip(remote, "not a regular file"); return true;
		}
		// The server follows links (within the root): what is there?
		auto st = remote_.stat(remote);
		if (!st)
			return note_failure(remote, st.take_error());
		if (S_ISDIR(st->mode)) {
			if (e.type == DT_LNK) {
				skip(remote, "symbolic link to a directory, not followed");
				return true;
			}
			return add_dir(remote, local, st->mode);
		}
		if (!S_ISREG(st->mode)) {
			skip(remote, "not a regular file");
			return true;
		}
		plan_.files.push_back({remote, local, st->size, st->mode & kPermissionBits, true});
		return true;
	}

	Error take_fatal() { return std::move(fatal_); }

private:
	const RemoteTree &remote_;
	FetchPlan &plan_;
	Error fatal_;
};

} // namespace

std::uint64_t FetchPlan::total_bytes() const
{
	std::uint64_t total = 0;
	for (const auto &f : files)
		total += f.size;
	return total;
}

bool valid_entry_name(std::string_view name)
{
	return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
	       name.find('\0') == std::string_view::npos;
}

std::string join_path(const std::string &dir, const std::string &name)
{
	if (dir.empty() || dir == ".")
		return name;
	return dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string base_name(std::string path)
{
	while (!path.empty() && path.back() == '/')
		path.pop_back();
	auto slash = path.find_last_of('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool plan_unseen_path(const std::string &path, const std::string &dest, bool recursive, FetchPlan &plan)
{
	std::string name = base_name(path);
	if (name.empty() || name == "." || name == "..")
		return false;
	PlannedFile file{path, dest + "/" + name, 0, 0, recursive};
	file.unseen = true;
	plan.files.push_back(std::move(file));
	return true;
}

Result<void> plan_path(const RemoteTree &remote, const std::string &path, const std::string &dest,
                       bool recursive, FetchPlan &plan)
{
	Planner p(remote, plan);
	std::string name = base_name(path);
	bool is_root = name.empty() || name == ".";
	if (name == "..") {
		plan.failed.push_back({path, Error{EINVAL, "names no file to fetch"}});
		return {};
	}
	auto st = remote.stat(path);
	bool ok = true;
	if (!st) {
		ok = p.note_failure(path, st.take_error());
	} else if (S_ISDIR(st->mode)) {
		if (recursive)
			ok = p.add_dir(path, is_root ? dest : dest + "/" + name, st->mode);
		else
			plan.failed.push_back(
			        {path, Error{EISDIR, "is a directory (use -r to fetch its tree)"}});
	} else {
		// Anything else goes to GET: the server says what it refuses.
		plan.files.push_back(
		        {path, dest + "/" + name, st->size, st->mode & kPermissionBits, recursive});
	}
	if (!ok)
		return p.take_fatal();
	return {};
}

} // namespace fileserver::cli
