// SPDX-License-Identifier: MIT
#include "environment.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "util/errno-util.h"

extern char **environ;

namespace fileserver {

namespace {

bool kept_variable(std::string_view name)
{
	static const std::string_view kExact[] = {
	        "LANG",
	        "LANGUAGE",
	        "TZ",
	        // Sanitizer builds (tests) read these; other builds ignore them.
	        "ASAN_OPTIONS",
	        "UBSAN_OPTIONS",
	        "TSAN_OPTIONS",
	        "LSAN_OPTIONS",
	};
	if (std::find(std::begin(kExact), std::end(kExact), name) != std::end(kExact))
		return true;
	return name.starts_with("LC_");
}

} // namespace

std::vector<std::string> filter_environment(char **envp)
{
	std::vector<std::string> out;
	for (char **e = envp; e && *e; e++) {
		std::string_view var(*e);
		auto eq = var.find('=');
		if (eq == std::string_view::npos || eq == 0)
			continue;
		if (kept_variable(var.substr(0, eq)))
			out.emplace_back(var);
	}
	out.push_back(std::string("PATH=") + kSafePath);
	return out;
}

void sanitize_environment()
{
	std::vector<std::string> keep = filter_environment(environ);
	clearenv();
	for (const auto &var : keep) {
		auto eq = var.find('=');
		setenv(var.substr(0, eq).c_str(), var.c_str() + eq + 1, 1);
	}
}

void reexec_with_clean_environment(char **argv)
{
	std::vector<std::string> clean = filter_environment(environ);
	std::vector<std::string> current;
	for (char **e = environ; e && *e; e++)
		current.emplace_back(*e);
	if (current == clean)
		return;
	std::vector<char *> envp;
	for (auto &s : clean)
		envp.push_back(s.data());
	envp.push_back(nullptr);
	// By path: an image run as /proc/self/exe would be named "exe".
	std::string exe = executable_path();
	execve(exe.empty() ? "/proc/self/exe" : exe.c_str(), argv, envp.data());
}

void fix_process_name(const char *argv0)
{
	char comm[17] = {};
	if (prctl(PR_GET_NAME, comm) < 0 || std::strcmp(comm, "exe") != 0 || !argv0)
		return;
	const char *base = std::strrchr(argv0, '/');
	std::string name = base ? base + 1 : argv0;
	prctl(PR_SET_NAME, name.substr(0, 15).c_str());
}

std::string absolute_path(const std::string &path)
{
	if (path.empty() || path[0] == '/')
		return path;
	char *cwd = getcwd(nullptr, 0);
	if (!cwd)
		throw_errno(errno, "getcwd");
	std::string out(cwd);
	std::free(cwd);
	return out + (out.back() == '/' ? "" : "/") + path;
}

std::string executable_path()
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return {};
	std::string path(buf, static_cast<std::size_t>(n));
	constexpr std::string_view kDeleted = " (deleted)";
	if (path.ends_with(kDeleted))
		path.resize(path.size() - kDeleted.size());
	return path;
}

} // namespace fileserver
