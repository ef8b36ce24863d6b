// SPDX-License-Identifier: MIT
#pragma once

// A phase that needs mqueue limits of its own (bigger messages, more queues)
// runs in a child process inside a private IPC namespace, with a daemon of
// its own started there: the rest of the run keeps the host's limits, and
// the namespace goes away with everything in it when the child ends.

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "isolation.h"

namespace fileserver::bench {

// Forks a child that enters a private IPC namespace with @limits
// (enter_ipc_namespace()) and runs @body there; returns the JSON that @body
// returned in the child. The child runs under the uids this process has. If
// it fails (its die() says why), this process dies too, naming @what.
nlohmann::json run_in_ipc_namespace(const std::string &what, const MqueueLimits &limits,
                                    const std::function<nlohmann::json()> &body);

} // namespace fileserver::bench
