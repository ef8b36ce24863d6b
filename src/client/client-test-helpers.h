// SPDX-License-Identifier: MIT
#pragma once

// A temporary directory for the client's unit tests, removed with its
// contents (one level: the tests create no subdirectories).

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <span>
#include <string>

namespace fileserver::test {

class TempDir
{
public:
	TempDir()
	{
		char tmpl[] = "/tmp/fileserver-client-test-XXXXXX";
		if (mkdtemp(tmpl))
			path_ = tmpl;
	}
	~TempDir()
	{
		for (const auto &n : names())
			unlink((path_ + "/" + n).c_str());
		rmdir(path_.c_str());
	}
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;

	[[nodiscard]] std::string operator/(const std::string &name) const { return path_ + "/" + name; }

	// Every name in the directory, dot files included.
	[[nodiscard]] std::set<std::string> names() const
	{
		std::set<std::string> out;
		if (DIR *d = opendir(path_.c_str())) {
			while (struct dirent *e = readdir(d))
				if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
					out.insert(e->d_name);
			closedir(d);
		}
		return out;
	}

private:
	std::string path_;
};

inline std::span<const std::uint8_t> bytes(const std::string &s)
{
	return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}

inline std::string read_file(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::string &path, const std::string &data)
{
	std::ofstream(path, std::ios::binary) << data;
}

} // namespace fileserver::test
