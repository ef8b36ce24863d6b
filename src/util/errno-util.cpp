// SPDX-License-Identifier: MIT
#include "errno-util.h"

#include <cstring>

namespace fileserver {

std::string errno_string(int err)
{
	if (err < 0)
		err = -err;
	return std::strerror(err);
}

} // namespace fileserver
