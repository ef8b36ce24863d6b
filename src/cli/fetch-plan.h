// SPDX-License-Identifier: MIT
#pragma once

// What `get PATH... -O DIR [-r]` fetches, worked out before any data moves
// (so that one progress bar knows the total): the directories to create,
// the files to fetch and where each goes, what is skipped and what failed.
// Pure logic over two calls to the server, so that tests can fake them.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/wire.h"
#include "util/error.h"

namespace fileserver::cli {

struct PlannedDir {
	std::string local;
	std::uint32_t mode = 0; // permission bits, set once the tree is complete
};

inline constexpr std::uint32_t kPermissionBits = 0777;

struct PlannedFile {
	std::string remote;
	std::string local;
	std::uint64_t size = 0; // as listed; the transfer's META has the last word
	std::uint32_t mode = 0; // permission bits as listed; the META's are kept
	bool keep_mode = false; // -r: keep the server's mode; else as a plain create
	bool unseen = false;    // an operand not asked about: may be a directory
};

struct PlanNote {
	std::string remote;
	Error error; // for a skipped entry: code 0 and why it was skipped
};

struct FetchPlan {
	std::vector<PlannedDir> dirs; // parents before children
	std::vector<PlannedFile> files;
	std::vector<PlanNote> skipped; // not fetched, not an error
	std::vector<PlanNote> failed;
	[[nodiscard]] std::uint64_t total_bytes() const;
};

// The server, as the plan needs it.
struct RemoteTree {
	std::function<Result<protocol::Meta>(const std::string &)> stat;
	std::function<Result<std::vector<protocol::Entry>>(const std::string &)> list;
};

// A name from a listing that may become a local file name: not empty, not
// "." or "..", no '/' and no NUL (a server that sends one is not followed
// out of the destination).
bool valid_entry_name(std::string_view name);
// "dir/name"; just "name" in the root ("").
std::string join_path(const std::string &dir, const std::string &name);
// The last component, trailing slashes ignored: "a/b/" -> "b", "" -> "".
std::string base_name(std::string path);

// Adds @path (an operand of get) to @plan as a file to fetch without asking
// the server what it is (unseen: its GET fails with EISDIR if it is a
// directory, which plan_path() then plans). false for the root and ".."
// (plan_path() knows what to do with them): nothing added.
bool plan_unseen_path(const std::string &path, const std::string &dest, bool recursive, FetchPlan &plan);

// Adds @path (an operand of get) to @plan: a file goes to DEST/NAME, a
// directory with @recursive becomes DEST/NAME with its tree (the root,
// "" or ".", becomes DEST itself). A symbolic link is resolved by the
// server: one to a file is fetched as that file, one to a directory is
// skipped (never descended, so no loop can recurse forever). Failures of one
// path go to plan.failed; an error that stops everything (no server,
// protocol error: @fatal says which) is returned.
Result<void> plan_path(const RemoteTree &remote, const std::string &path, const std::string &dest,
                       bool recursive, FetchPlan &plan);

} // namespace fileserver::cli
