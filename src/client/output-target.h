// SPDX-License-Identifier: MIT
#pragma once

// Where `fileserverctl get -o NAME` writes; fileserverctl(1) documents each
// case:
//   "-"                          standard output, data written as it arrives
//   a device, FIFO or socket     opened and written in place, as a plain
//                                open(O_WRONLY) would: no temporary, no rename
//   a regular or missing file    replaced atomically by an AtomicFile
//   a symbolic link              followed; its final target is one of the above

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "client/atomic-file.h"
#include "util/error.h"
#include "util/unique-fd.h"

namespace fileserver {

// Follows symbolic links at the end of @path (not in its directories, which
// the kernel follows anyway) until a name that is not a link or does not
// exist; a relative link is taken relative to its own directory (ELOOP
// after 40 links). @found, if given, gets what is at the resulting name
// (lstat(2)), or nullopt if nothing is.
Result<std::string> resolve_final_symlinks(const std::string &path,
                                           std::optional<struct stat> *found = nullptr);

class OutputTarget
{
public:
	enum class Kind {
		Stdout,
		InPlace, // device, FIFO, socket
		Replace, // regular or missing file
	};

	// Opens @name ("-": standard output). On failure the Error says which
	// file and why.
	Result<void> open(const std::string &name,
	                  AtomicFile::Temporary temporary = AtomicFile::Temporary::Unnamed);
	// 0 or -errno.
	int write(std::span<const std::uint8_t> data);
	// Puts a replaced file in place; nothing to do for the other kinds.
	Result<void> commit();
	// After a failure: a replaced file is left as it was.
	void discard();

	[[nodiscard]] Kind kind() const { return kind_; }
	// The file written: @name with its final symbolic links followed.
	[[nodiscard]] const std::string &path() const { return path_; }
	[[nodiscard]] const AtomicFile &atomic_file() const { return file_; }

private:
	Kind kind_ = Kind::Stdout;
	std::string name_;
	std::string path_;
	UniqueFD fd_; // InPlace only
	AtomicFile file_;
};

} // namespace fileserver
