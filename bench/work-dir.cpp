// SPDX-License-Identifier: MIT
#include "work-dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "fail.h"
#include "options.h"
#include "util/io.h"
#include "util/unique-fd.h"

namespace fileserver::bench {

namespace {

// Pseudo-random bytes (xorshift), so that no layer can compress or dedupe them.
void fill_file(const std::string &path, std::uint64_t size, std::uint64_t seed)
{
	UniqueFD fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
	if (!fd)
		die(sys_error("create " + path));
	std::vector<std::uint64_t> block(1 << 17); // 1 MiB
	std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (auto &w : block) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w = x;
	}
	std::uint64_t left = size;
	while (left > 0) {
		std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, block.size() * 8));
		block[0]++; // not the same 1 MiB over and over
		int r = write_all(fd.get(),
		                  std::span(reinterpret_cast<const std::uint8_t *>(block.data()), n));
		if (r < 0)
			die(sys_error("write " + path, r));
		left -= n;
	}
}

} // namespace

void warm_page_cache(const std::string &path)
{
	UniqueFD fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		die(sys_error("open " + path));
	std::vector<char> buf(1 << 20);
	while (read(fd.get(), buf.data(), buf.size()) > 0) {
	}
}

WorkDir make_work_dir(const Options &o)
{
	WorkDir w;
	std::string tmpl = o.dir + "/fileserver-bench-XXXXXX";
	if (!mkdtemp(tmpl.data()))
		die(sys_error("mkdtemp in " + o.dir));
	w.top = tmpl;
	chmod(w.top.c_str(), 0755);
	w.root = w.top + "/root";
	mkdir(w.root.c_str(), 0755);
	mkdir((w.root + "/small").c_str(), 0755);
	if (has_phase(o, "large"))
		fill_file(w.root + "/" + w.large_name, o.large_size, 1);
	if (has_phase(o, "stalled"))
		fill_file(w.root + "/" + w.stall_name, kStallFileSize, 0);
	for (int i = 0; i < o.small_files; i++) {
		char name[32];
		std::snprintf(name, sizeof(name), "small/f%04d", i);
		w.small_names.emplace_back(name);
		fill_file(w.root + "/" + name, o.small_size, static_cast<std::uint64_t>(i) + 2);
	}
	w.config = w.top + "/fileserver.json";
	w.notify_path = w.top + "/notify.sock";
	w.log_path = w.top + "/fileserverd.log";
	return w;
}

WorkDir with_daemon_files(const WorkDir &w, const std::string &tag)
{
	WorkDir out = w;
	out.config = w.top + "/fileserver-" + tag + ".json";
	out.notify_path = w.top + "/notify-" + tag + ".sock";
	out.log_path = w.top + "/fileserverd-" + tag + ".log";
	return out;
}

} // namespace fileserver::bench
