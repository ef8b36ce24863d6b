// SPDX-License-Identifier: MIT
#include "machine.h"

#include <sys/resource.h>
#include <sys/utsname.h>

#include <fstream>
#include <string>
#include <thread>

#include "util/io.h"

namespace fileserver::bench {

namespace {

void add_cpu_info(nlohmann::json &m)
{
	std::string model = "unknown", mhz = "unknown";
	bool hypervisor = false;
	std::ifstream cpu("/proc/cpuinfo");
	std::string line;
	while (std::getline(cpu, line) && !line.empty()) { // the first CPU's block
		auto value = line.substr(line.find(':') + 1);
		if (!value.empty() && value[0] == ' ')
			value.erase(0, 1);
		if (line.starts_with("model name"))
			model = value;
		else if (line.starts_with("cpu MHz"))
			mhz = value;
		else if (line.starts_with("flags"))
			hypervisor = (" " + value + " ").find(" hypervisor ") != std::string::npos;
	}
	m["cpu_model"] = model;
	m["cpu_mhz"] = mhz;
	m["virtual_machine"] = hypervisor;
}

// MemTotal, the first line of /proc/meminfo, in KiB; -1 if unknown.
long memory_kib()
{
	std::ifstream in("/proc/meminfo");
	std::string key;
	long v = -1;
	in >> key >> v;
	return v;
}

} // namespace

nlohmann::json machine_info()
{
	nlohmann::json m;
	m["nproc"] = std::thread::hardware_concurrency();
	add_cpu_info(m);
	struct utsname u;
	uname(&u);
	m["kernel"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
	m["mqueue_msgsize_max"] = read_proc_long("/proc/sys/fs/mqueue/msgsize_max", -1);
	m["mqueue_msg_max"] = read_proc_long("/proc/sys/fs/mqueue/msg_max", -1);
	m["mqueue_queues_max"] = read_proc_long("/proc/sys/fs/mqueue/queues_max", -1);
	struct rlimit rl = {};
	getrlimit(RLIMIT_MSGQUEUE, &rl);
	m["rlimit_msgqueue"] = rl.rlim_cur == RLIM_INFINITY ? -1L : static_cast<long>(rl.rlim_cur);
	m["memory_kib"] = memory_kib();
	m["build"] = FILESERVER_BENCH_BUILD;
	return m;
}

} // namespace fileserver::bench
