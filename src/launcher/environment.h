// SPDX-License-Identifier: MIT
#pragma once

// What a daemon keeps of the environment and the process image it was
// started with (daemon(7): a clean environment).

#include <string>
#include <vector>

namespace fileserver {

// The PATH a daemon gets, whatever it was started with.
inline constexpr const char *kSafePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The variables of @envp (NAME=VALUE) that a daemon keeps: the locale
// (LANG, LANGUAGE, LC_*), TZ, and the sanitizers' options of test builds;
// then PATH=kSafePath. Everything else goes, notably LD_*, IFS, HOME, and
// what would make it believe it runs under systemd (LISTEN_FDS,
// NOTIFY_SOCKET, JOURNAL_STREAM).
std::vector<std::string> filter_environment(char **envp);
// Replaces the environment with filter_environment(environ).
void sanitize_environment();
// Runs this program again (same binary, same @argv) with the filtered
// environment, unless it already is: variables that act at exec time
// (LD_PRELOAD, GLIBC_TUNABLES, ...) only go away that way, and
// /proc/PID/environ then shows what the daemon really has. Returns when
// there is nothing to do or the exec failed; sanitize_environment() then
// does the rest in place.
void reexec_with_clean_environment(char **argv);

// After an exec of /proc/self/exe (a fallback), the kernel names the
// process "exe": gives it back the name of @argv0.
void fix_process_name(const char *argv0);

// @path made absolute against the current directory, before chdir("/").
// Throws std::system_error if the current directory is unknown.
std::string absolute_path(const std::string &path);

// This program's path, from /proc/self/exe; empty if unknown. Taken at
// start-up: re-executing the path, not /proc/self/exe (the old inode), is
// what makes an upgrade of the binary take effect.
std::string executable_path();

} // namespace fileserver
