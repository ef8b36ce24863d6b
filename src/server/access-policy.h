// SPDX-License-Identifier: MIT
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace fileserver {

// Who may fetch what. The client is the owner of its reply queue (messages
// carry no credentials; see docs/security.md).
enum class AccessMode {
	WorldReadable, // only what others may read, through directories others may search
	Owner,         // what the client uid may read by mode, owner, group and its groups
	All,           // whatever the service can read (trusted hosts)
};

struct AccessPolicy {
	AccessMode mode = AccessMode::WorldReadable;
	// fnmatch(3) patterns on the object's real path beneath the root,
	// normalised ('*' matches '/' too). A path matching a deny pattern is refused; with allow patterns,
	// a path must match one of them (the root itself always may).
	std::vector<std::string> allow;
	std::vector<std::string> deny;

	bool operator==(const AccessPolicy &) const = default;
};

std::string_view to_string(AccessMode mode);
// Parses "world-readable", "owner" or "all"; false if unknown.
bool parse_access_mode(std::string_view text, AccessMode &out);

// "a//b/./c/" -> "a/b/c"; "" and "." -> "". The path must already have
// passed check_client_path (no "..").
std::string normalize_path(std::string_view path);

// The allow and deny patterns on a normalised path.
bool path_permitted(const AccessPolicy &policy, std::string_view normalized);

// What a request needs of its target.
enum class AccessNeed {
	Read,    // file content
	List,    // directory listing: read and search
	Inspect, // metadata only: nothing of the target itself
};

// The permission bits @uid (with groups @gids, primary group included) has
// on a file of mode @mode owned by @owner:@group, as rwx bits (4, 2, 1).
// uid 0 gets everything, as root does without ACLs.
unsigned permitted_bits(uid_t uid, const std::vector<gid_t> &gids, uid_t owner, gid_t group, mode_t mode);

// The rwx bits (4, 2, 1) client @uid has on a file of stat @st under
// @policy's mode: others' bits (WorldReadable), permitted_bits with @gids,
// the groups_of(@uid) (Owner), or all (All).
unsigned client_bits(const AccessPolicy &policy, uid_t uid, const std::vector<gid_t> &gids,
                     const struct stat &st);

// The groups of @uid (primary included), cached until clear_group_cache().
std::vector<gid_t> groups_of(uid_t uid);
void clear_group_cache();

} // namespace fileserver
