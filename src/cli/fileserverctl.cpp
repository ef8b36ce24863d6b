// SPDX-License-Identifier: MIT
// fileserverctl: the command-line client; the work is in cli/commands.h.

#include <cstdio>
#include <cstdlib>

#include "build-config.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "util/error.h"

using namespace fileserver;

int main(int argc, char **argv)
{
	try {
		cli::Options o = cli::parse_options(argc, argv, std::getenv("FILESERVER_QUEUE"));
		if (o.help)
			return std::fputs(cli::kUsage, stdout) < 0 ? 1 : 0;
		if (o.version)
			return std::puts("fileserverctl " FILESERVER_VERSION) < 0 ? 1 : 0;
		return cli::run(o);
	} catch (const UsageError &e) {
		std::fprintf(stderr, "fileserverctl: %s\nTry 'fileserverctl --help' for more information.\n",
		             e.what());
		return cli::to_int(cli::ExitStatus::Usage);
	}
}
