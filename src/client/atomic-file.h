// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "util/io.h"
#include "util/unique-fd.h"

namespace fileserver {

// Writes a file under a temporary name in the target's directory and
// renames it into place on commit(), so that readers never see a partial
// file. Without commit() the temporary file is removed.
class AtomicFile
{
public:
	AtomicFile() = default;
	~AtomicFile();
	AtomicFile(const AtomicFile &) = delete;
	AtomicFile &operator=(const AtomicFile &) = delete;

	// 0 or -errno.
	int open(const std::string &target);
	int write(std::span<const std::uint8_t> data);
	int commit();
	void discard();

	[[nodiscard]] const std::string &temp_path() const { return temp_; }

private:
	std::string target_;
	std::string temp_;
	UniqueFD fd_;
	int cleanup_slot_ = -1;
};

} // namespace fileserver
