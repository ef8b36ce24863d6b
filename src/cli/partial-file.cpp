// SPDX-License-Identifier: MIT
#include "cli/partial-file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>

#include "util/io.h"

namespace fileserver::cli {

namespace {

template<typename T>
bool take_number(std::string_view &text, T &out, std::size_t digits = 0)
{
	const char *end = text.data() + text.size();
	auto [ptr, ec] = std::from_chars(text.data(), end, out);
	auto used = static_cast<std::size_t>(ptr - text.data());
	if (ec != std::errc() || used == 0 || (digits && used != digits))
		return false;
	text.remove_prefix(used);
	return true;
}

bool take(std::string_view &text, std::string_view word)
{
	if (text.substr(0, word.size()) != word)
		return false;
	text.remove_prefix(word.size());
	return true;
}

} // namespace

SourceStamp stamp_of(const protocol::Meta &m)
{
	return {m.size, m.mtime_sec, m.mtime_nsec};
}

std::string encode_stamp(const SourceStamp &s)
{
	char b[96];
	std::snprintf(b, sizeof(b), "size=%llu mtime=%lld.%09u", static_cast<unsigned long long>(s.size),
	              static_cast<long long>(s.mtime_sec), s.mtime_nsec);
	return b;
}

std::optional<SourceStamp> decode_stamp(std::string_view text)
{
	SourceStamp s;
	if (!take(text, "size=") || !take_number(text, s.size) || !take(text, " mtime=") ||
	    !take_number(text, s.mtime_sec) || !take(text, ".") || !take_number(text, s.mtime_nsec, 9) ||
	    !text.empty() || s.mtime_nsec >= 1000000000)
		return std::nullopt;
	return s;
}

ResumeDecision decide_resume(std::optional<std::uint64_t> part_size,
                             const std::optional<SourceStamp> &recorded, const SourceStamp &remote)
{
	if (!part_size)
		return {};
	if (!recorded)
		return {0, "no record of the source file on the partial file"};
	if (*recorded != remote)
		return {0, "the file changed on the server since the partial file was written"};
	if (*part_size > remote.size)
		return {0, "the partial file is larger than the file"};
	return {*part_size, ""};
}

int PartialFile::open(const std::string &target)
{
	target_ = target;
	part_ = target + ".part";
	existing_size_.reset();
	recorded_.reset();
	constexpr int kFlags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
	bool created = false;
	int fd = ::open(part_.c_str(), kFlags);
	if (fd < 0 && errno == ENOENT) {
		fd = ::open(part_.c_str(), kFlags | O_CREAT | O_EXCL, 0600);
		created = true;
	}
	if (fd < 0)
		return -errno;
	fd_.reset(fd);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (created)
		return 0;
	existing_size_ = static_cast<std::uint64_t>(st.st_size);
	char buf[128];
	ssize_t n = fgetxattr(fd, kSourceXattr, buf, sizeof(buf));
	if (n > 0)
		recorded_ = decode_stamp(std::string_view(buf, static_cast<std::size_t>(n)));
	return 0;
}

int PartialFile::restart(const SourceStamp &stamp)
{
	if (ftruncate(fd_.get(), 0) < 0)
		return -errno;
	std::string text = encode_stamp(stamp);
	if (fsetxattr(fd_.get(), kSourceXattr, text.data(), text.size(), 0) < 0) {
		// No record is safe (the next resume starts afresh); a stale one is not.
		(void)fremovexattr(fd_.get(), kSourceXattr);
	}
	recorded_ = stamp;
	existing_size_ = 0;
	return 0;
}

int PartialFile::write(std::span<const std::uint8_t> data)
{
	return write_all(fd_.get(), data);
}

int PartialFile::commit(std::uint32_t mode)
{
	if (fchmod(fd_.get(), mode) < 0 || fsync(fd_.get()) < 0)
		return -errno;
	// The finished file needs no record.
	(void)fremovexattr(fd_.get(), kSourceXattr);
	if (rename(part_.c_str(), target_.c_str()) < 0)
		return -errno;
	fd_.reset();
	return 0;
}

} // namespace fileserver::cli
