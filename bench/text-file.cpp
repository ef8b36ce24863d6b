// SPDX-License-Identifier: MIT
#include "text-file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <fstream>
#include <sstream>

#include "fail.h"
#include "util/io.h"
#include "util/unique-fd.h"

namespace fileserver::bench {

std::string read_text(const std::string &path)
{
	std::ifstream in(path);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

std::string read_fd(int fd)
{
	std::string out;
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return out;
		out.append(buf, static_cast<std::size_t>(n));
	}
}

void write_text(const std::string &path, const std::string &text)
{
	UniqueFD fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
	if (!fd)
		die(sys_error("cannot write " + path));
	int r = write_all(fd.get(), text);
	if (r < 0)
		die(sys_error("cannot write " + path, r));
}

} // namespace fileserver::bench
