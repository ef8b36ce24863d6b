// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "util/unique-fd.h"

namespace fileserver {

// The mode a plain create(2) gives a file: 0666 minus the umask.
std::uint32_t plain_create_mode();

// Writes a regular file that readers only ever see complete: the data goes
// to an unnamed temporary file (O_TMPFILE) in the target's directory, linked
// into place by commit(). No death of the process, SIGKILL included, leaves
// anything behind. Where the filesystem has no O_TMPFILE, the fallback is a
// named temporary ".NAME.XXXXXX" beside the target, removed on discard() and
// by the signal handlers of client/signal-cleanup.h, renamed on commit().
class AtomicFile
{
public:
	enum class Temporary {
		Unnamed, // O_TMPFILE where supported, else the named fallback
		Named,   // the fallback only (for tests)
	};

	AtomicFile() = default;
	~AtomicFile();
	AtomicFile(const AtomicFile &) = delete;
	AtomicFile &operator=(const AtomicFile &) = delete;

	// Every call returns 0 or -errno. @target is replaced as it is: a
	// symbolic link there is replaced, not followed (see OutputTarget).
	int open(const std::string &target, Temporary temporary = Temporary::Unnamed);
	int write(std::span<const std::uint8_t> data);
	// Gives the file @mode, or by default the mode a plain create would
	// (0666 minus the umask), and puts it in place of the target (without
	// fsync()).
	int commit(std::optional<std::uint32_t> mode = std::nullopt);
	void discard();

	// The named temporary's path; empty with O_TMPFILE.
	[[nodiscard]] const std::string &temp_path() const { return temp_; }

private:
	int link_unnamed();
	void forget_temp();

	std::string target_;
	std::string temp_;
	UniqueFD fd_;
	int cleanup_slot_ = -1;
};

} // namespace fileserver
