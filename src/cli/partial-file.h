// SPDX-License-Identifier: MIT
#pragma once

// `get --continue`: the data goes to NAME.part, written in order, renamed to
// NAME once complete, and left in place when the transfer stops, so that the
// next --continue asks only for the rest (GET at offset = its size). The
// version of the remote file it holds a prefix of is recorded in the user
// xattr user.fileserver.source (size and mtime in ns); a resume is allowed
// only when the server's file still has that size and mtime, otherwise the
// whole file is fetched again: never a mix of two versions.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/wire.h"
#include "util/unique-fd.h"

namespace fileserver::cli {

inline constexpr const char *kSourceXattr = "user.fileserver.source";

struct SourceStamp {
	std::uint64_t size = 0;
	std::int64_t mtime_sec = 0;
	std::uint32_t mtime_nsec = 0;
	bool operator==(const SourceStamp &) const = default;
};

SourceStamp stamp_of(const protocol::Meta &m);
// "size=N mtime=SEC.NSEC" (nine digits of ns).
std::string encode_stamp(const SourceStamp &s);
// nullopt unless exactly what encode_stamp() writes.
std::optional<SourceStamp> decode_stamp(std::string_view text);

struct ResumeDecision {
	std::uint64_t offset = 0; // where the GET starts; 0: the whole file again
	std::string why_restart;  // set when a partial file exists but cannot be used
};

// @part_size: bytes in NAME.part, nullopt if there is none; @recorded: its
// xattr, nullopt if missing or unreadable; @remote: the server's file now.
ResumeDecision decide_resume(std::optional<std::uint64_t> part_size,
                             const std::optional<SourceStamp> &recorded, const SourceStamp &remote);

// NAME.part itself. Every call returns 0 or -errno.
class PartialFile
{
public:
	// Opens (creates, mode 0600) @target + ".part", never through a link.
	int open(const std::string &target);
	// Bytes already there, if the file existed; and its record.
	[[nodiscard]] std::optional<std::uint64_t> existing_size() const { return existing_size_; }
	[[nodiscard]] std::optional<SourceStamp> recorded() const { return recorded_; }
	// Empties the file and records @stamp as its source. Without xattr
	// support the file has no record and a later resume starts afresh.
	int restart(const SourceStamp &stamp);
	int write(std::span<const std::uint8_t> data);
	// Gives the file @mode, syncs it and renames it to the target.
	int commit(std::uint32_t mode);
	[[nodiscard]] const std::string &path() const { return part_; }

private:
	UniqueFD fd_;
	std::string target_;
	std::string part_;
	std::optional<std::uint64_t> existing_size_;
	std::optional<SourceStamp> recorded_;
};

} // namespace fileserver::cli
