// SPDX-License-Identifier: MIT
#include "client/stale-queues.h"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "util/unique-fd.h"

namespace fileserver {

namespace {

constexpr const char *kMqueueMount = "/dev/mqueue";
constexpr long kMqueueMagic = 0x19800202; // MQUEUE_MAGIC, not in the uapi headers
constexpr std::string_view kPrefix = "fileserver-client-";
constexpr std::string_view kOldPrefix = "fileserverctl-";

// A decimal number up to the next '-'; advances @s past the '-'.
std::optional<std::uint64_t> take_number(std::string_view &s)
{
	std::uint64_t v = 0;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || end == s.data() || end == s.data() + s.size() || *end != '-')
		return std::nullopt;
	s.remove_prefix(static_cast<std::size_t>(end - s.data()) + 1);
	return v;
}

bool is_hex16(std::string_view s)
{
	return s.size() == 16 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool is_mqueue_mount(const char *path)
{
	struct statfs fs;
	return statfs(path, &fs) == 0 && fs.f_type == kMqueueMagic;
}

} // namespace

std::string mqueue_mount()
{
	if (is_mqueue_mount(kMqueueMount))
		return kMqueueMount;
	FILE *f = std::fopen("/proc/self/mountinfo", "re");
	if (!f)
		return {};
	std::string found;
	char *line = nullptr;
	std::size_t size = 0;
	while (found.empty() && getline(&line, &size, f) > 0) {
		// "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE ..."
		std::string_view l(line);
		auto dash = l.find(" - ");
		if (dash == std::string_view::npos || !l.substr(dash + 3).starts_with("mqueue "))
			continue;
		std::string_view rest = l;
		for (int i = 0; i < 4; i++)
			rest.remove_prefix(std::min(rest.size(), rest.find(' ') + 1));
		std::string point(rest.substr(0, rest.find(' ')));
		// Only plain paths: mountinfo escapes spaces and the like as \ooo.
		if (point.find('\\') == std::string::npos && is_mqueue_mount(point.c_str()))
			found = point;
	}
	std::free(line);
	std::fclose(f);
	return found;
}

namespace {

std::vector<QueueEntry> list_mqueue_mount()
{
	std::vector<QueueEntry> out;
	// Anything else mounted there (or nothing) is not ours to clean.
	std::string mount = mqueue_mount();
	if (mount.empty())
		return out;
	UniqueFD fd(open(mount.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	DIR *d = fd.valid() ? fdopendir(fd.get()) : nullptr;
	if (!d)
		return out;
	(void)fd.release(); // the DIR owns it now
	while (struct dirent *e = readdir(d)) {
		std::string_view name(e->d_name);
		if (!name.starts_with(kPrefix) && !name.starts_with(kOldPrefix))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			out.push_back({std::string(name), st.st_uid, st.st_dev, st.st_ino});
	}
	closedir(d);
	return out;
}

} // namespace

bool process_holds_queue(pid_t pid, const QueueEntry &q)
{
	char path[32];
	std::snprintf(path, sizeof(path), "/proc/%d/fd", static_cast<int>(pid));
	UniqueFD fd(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!fd.valid())
		return errno != ENOENT && errno != ESRCH;
	DIR *d = fdopendir(fd.get());
	if (!d)
		return true;
	(void)fd.release(); // the DIR owns it now
	bool held = false;
	while (struct dirent *e = readdir(d)) {
		struct stat st;
		// stat() follows the descriptor's link to the open queue itself.
		if (e->d_name[0] != '.' && fstatat(dirfd(d), e->d_name, &st, 0) == 0 && st.st_dev == q.dev &&
		    st.st_ino == q.ino) {
			held = true;
			break;
		}
	}
	closedir(d);
	return held;
}

std::string reply_queue_name(pid_t pid, std::uint64_t random_bits)
{
	char name[64];
	std::snprintf(name, sizeof(name), "fileserver-client-%d-%016llx", static_cast<int>(pid),
	              static_cast<unsigned long long>(random_bits));
	return name;
}

std::optional<pid_t> reply_queue_creator(std::string_view name)
{
	bool old = name.starts_with(kOldPrefix);
	if (!old && !name.starts_with(kPrefix))
		return std::nullopt;
	name.remove_prefix(old ? kOldPrefix.size() : kPrefix.size());
	auto pid = take_number(name);
	if (!pid || *pid == 0 || *pid > 0x3fffffff)
		return std::nullopt;
	// 0.1's names carry the process start time after the pid.
	if (!old && !is_hex16(name) && !take_number(name))
		return std::nullopt;
	if (!is_hex16(name))
		return std::nullopt;
	return static_cast<pid_t>(*pid);
}

StaleQueueOps system_stale_queue_ops()
{
	return {list_mqueue_mount, process_holds_queue,
	        [](const std::string &name) { mq_unlink(name.c_str()); }};
}

int reclaim_stale_queues(uid_t uid, const StaleQueueOps &ops)
{
	int removed = 0;
	for (const auto &e : ops.list()) {
		if (e.owner != uid)
			continue;
		auto creator = reply_queue_creator(e.name);
		if (creator && !ops.holds(*creator, e)) {
			ops.unlink("/" + e.name);
			removed++;
		}
	}
	return removed;
}

} // namespace fileserver
