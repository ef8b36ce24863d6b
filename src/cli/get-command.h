// SPDX-License-Identifier: MIT
#pragma once

// `fileserverctl get`: one PATH to standard output or -o FILE as ever, or
// several, or trees with -r, into -O DIR; --continue resumes partial files.

#include "cli/exit-status.h"
#include "cli/options.h"
#include "cli/session.h"

namespace fileserver::cli {

ExitStatus cmd_get(Session &session, const Options &o);

} // namespace fileserver::cli
