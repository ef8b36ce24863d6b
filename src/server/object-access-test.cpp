// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "server/object-access.h"

using namespace fileserver;

namespace {

constexpr uid_t kClient = 65534; // not the owner of anything below

/*
 * The tree of issue 10, as an attacker who may write to incoming/ leaves it:
 *
 *   private/          0700  (owner root)
 *     top.txt         0644
 *     sub/            0755
 *       doc.txt       0644
 *   keys/server.key   0644  (denied by "*.key")
 *   public/           0755
 *     readme.txt      0644
 *   closed/           0750
 *     public          0644
 *   incoming/         1777
 *     y      -> ../private/sub
 *     t      -> ../private/top.txt
 *     k      -> ../keys/server.key
 *     p      -> ../private
 *     ok     -> ../public/readme.txt    (legitimate)
 *     pub    -> ../public               (legitimate)
 *     chain  -> ok                      (legitimate, two links)
 *   fifo, null (char 1,3)
 */
struct Tree {
	std::filesystem::path dir;
	UniqueFD root;
	AccessPolicy policy;

	Tree()
	{
		char tmpl[] = "/tmp/fs-object-test-XXXXXX";
		REQUIRE(mkdtemp(tmpl) != nullptr);
		dir = tmpl;
		REQUIRE(chmod(tmpl, 0755) == 0);
		mkdir_mode("private", 0700);
		mkdir_mode("private/sub", 0755);
		mkdir_mode("keys", 0755);
		mkdir_mode("public", 0755);
		mkdir_mode("closed", 0750);
		mkdir_mode("incoming", 01777);
		file("private/top.txt", "top");
		file("private/sub/doc.txt", "doc");
		file("keys/server.key", "key");
		file("public/readme.txt", "readme");
		file("closed/public", "closed");
		link("../private/sub", "incoming/y");
		link("../private/top.txt", "incoming/t");
		link("../keys/server.key", "incoming/k");
		link("../private", "incoming/p");
		link("../public/readme.txt", "incoming/ok");
		link("../public", "incoming/pub");
		link("ok", "incoming/chain");
		REQUIRE(mkfifo((dir / "fifo").c_str(), 0644) == 0);
		root.reset(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
		REQUIRE(root.valid());
		policy.deny = {"*.key", "private/*"};
	}
	~Tree() { std::filesystem::remove_all(dir); }
	Tree(const Tree &) = delete;
	Tree &operator=(const Tree &) = delete;

	void mkdir_mode(const char *rel, mode_t mode)
	{
		REQUIRE(mkdir((dir / rel).c_str(), mode) == 0);
		REQUIRE(chmod((dir / rel).c_str(), mode) == 0);
	}
	void file(const char *rel, std::string_view content, mode_t mode = 0644)
	{
		int fd = open((dir / rel).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		REQUIRE(fd >= 0);
		REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
		close(fd);
		REQUIRE(chmod((dir / rel).c_str(), mode) == 0);
	}
	void link(const char *target, const char *rel) { REQUIRE(symlink(target, (dir / rel).c_str()) == 0); }

	Result<OpenedObject> serve(std::string_view path, AccessNeed need, uid_t uid = 0) const
	{
		return open_checked(policy, root.get(), uid, path, need);
	}
};

std::string read_all(int fd)
{
	std::string s;
	char buf[256];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		s.append(buf, static_cast<std::size_t>(n));
	REQUIRE(n == 0);
	return s;
}

// The error code of a refusal (0 if served); a refusal always says why.
int refusal(const Result<OpenedObject> &r)
{
	if (r.ok())
		return 0;
	CHECK_FALSE(r.error().why.empty());
	return r.error().code;
}

// Under each mode that judges the client, the uid.
struct Judge {
	AccessMode mode;
	uid_t uid;
};
constexpr Judge kJudges[] = {{AccessMode::WorldReadable, 0}, {AccessMode::Owner, kClient}};

} // namespace

TEST_SUITE_BEGIN("object-access");

TEST_CASE("a symlink does not lead past a directory the client may not search")
{
	Tree t;
	for (const Judge &j : kJudges) {
		t.policy.mode = j.mode;
		CAPTURE(to_string(j.mode));
		CHECK(refusal(t.serve("private/sub/doc.txt", AccessNeed::Read, j.uid)) == EACCES);
		for (auto need : {AccessNeed::Read, AccessNeed::Inspect}) {
			auto r = t.serve("incoming/y/doc.txt", need, j.uid);
			CHECK(refusal(r) == EACCES);
			if (!r.ok())
				CHECK(r.error().why.find("directory private") != std::string::npos);
			CHECK(refusal(t.serve("incoming/t", need, j.uid)) == EACCES);
		}
		CHECK(refusal(t.serve("incoming/p", AccessNeed::List, j.uid)) == EACCES);
		CHECK(refusal(t.serve("incoming/y", AccessNeed::List, j.uid)) == EACCES);
	}
}

TEST_CASE("deny patterns judge the real path, however it is named")
{
	Tree t;
	for (AccessMode mode : {AccessMode::WorldReadable, AccessMode::Owner, AccessMode::All}) {
		t.policy.mode = mode;
		CAPTURE(to_string(mode));
		for (auto need : {AccessNeed::Read, AccessNeed::Inspect}) {
			auto r = t.serve("incoming/k", need, kClient);
			CHECK(refusal(r) == EACCES);
			if (!r.ok())
				CHECK(r.error().why.find("access policy") != std::string::npos);
			CHECK(refusal(t.serve("keys/server.key", need, kClient)) == EACCES);
		}
	}
	// Under "all" no mode bit protects private/: the pattern alone does.
	t.policy.mode = AccessMode::All;
	CHECK(refusal(t.serve("incoming/y/doc.txt", AccessNeed::Read, kClient)) == EACCES);
	CHECK(refusal(t.serve("incoming/t", AccessNeed::Read, kClient)) == EACCES);
	// The directory itself is not matched by "private/*", its entries are.
	auto dir = t.serve("incoming/p", AccessNeed::List, kClient);
	REQUIRE(dir.ok());
	CHECK(dir->real_path == "private");
	CHECK_FALSE(entry_permitted(t.policy, dir->real_path, "top.txt"));
	CHECK(entry_permitted(t.policy, "public", "readme.txt"));
	CHECK(entry_permitted(t.policy, "", "public"));
	CHECK_FALSE(entry_permitted(t.policy, "", "x.key"));
}

TEST_CASE("symlinks to permitted objects inside the root are still served")
{
	Tree t;
	for (const Judge &j : kJudges) {
		t.policy.mode = j.mode;
		CAPTURE(to_string(j.mode));
		for (std::string_view p : {"incoming/ok", "incoming/chain", "incoming/pub/readme.txt"}) {
			CAPTURE(p);
			auto r = t.serve(p, AccessNeed::Read, j.uid);
			REQUIRE(r.ok());
			CHECK(r->real_path == "public/readme.txt");
			CHECK(S_ISREG(r->st.st_mode));
			CHECK(read_all(r->fd.get()) == "readme");
		}
		auto dir = t.serve("incoming/pub", AccessNeed::List, j.uid);
		REQUIRE(dir.ok());
		CHECK(dir->real_path == "public");
		auto root = t.serve("", AccessNeed::List, j.uid);
		REQUIRE(root.ok());
		CHECK(root->real_path.empty());
	}
}

TEST_CASE("world-readable: the target and every directory on the way")
{
	Tree t;
	t.file("public/group.txt", "group", 0640);
	auto r = t.serve("public/group.txt", AccessNeed::Read);
	CHECK(refusal(r) == EACCES);
	if (!r.ok())
		CHECK(r.error().why.find("not readable by others") != std::string::npos);
	r = t.serve("closed/public", AccessNeed::Read);
	CHECK(refusal(r) == EACCES);
	if (!r.ok())
		CHECK(r.error().why.find("closed") != std::string::npos);
	// Metadata needs only the way there.
	CHECK(refusal(t.serve("public/group.txt", AccessNeed::Inspect)) == 0);
	CHECK(refusal(t.serve("closed", AccessNeed::List)) == EACCES);
	CHECK(refusal(t.serve("closed", AccessNeed::Inspect)) == 0);
	// A directory that is not searchable hides even whether a name exists.
	CHECK(refusal(t.serve("closed/missing", AccessNeed::Inspect)) == EACCES);
}

TEST_CASE("owner: by the client uid's mode bits")
{
	Tree t;
	t.policy.mode = AccessMode::Owner;
	t.file("public/mine.txt", "mine", 0600);
	CHECK(refusal(t.serve("closed/public", AccessNeed::Read, 0)) == 0);
	auto r = t.serve("public/mine.txt", AccessNeed::Read, kClient);
	CHECK(refusal(r) == EACCES);
	if (!r.ok())
		CHECK(r.error().why.find(std::to_string(kClient)) != std::string::npos);
	if (geteuid() != 0)
		return; // the rest needs chown
	REQUIRE(chown((t.dir / "public/mine.txt").c_str(), kClient, 0) == 0);
	CHECK(refusal(t.serve("public/mine.txt", AccessNeed::Read, kClient)) == 0);
	// The client's own private directory, reached through a link.
	REQUIRE(chown((t.dir / "private").c_str(), kClient, 0) == 0);
	t.policy.deny.clear();
	auto via = t.serve("incoming/y/doc.txt", AccessNeed::Read, kClient);
	REQUIRE(via.ok());
	CHECK(via->real_path == "private/sub/doc.txt");
}

namespace {

// Watches @path for IN_OPEN. O_PATH opens raise no event on current kernels;
// where they do, usable() is false and only the other checks remain.
struct OpenWatch {
	UniqueFD fd{inotify_init1(IN_NONBLOCK | IN_CLOEXEC)};
	bool calibrated = false;

	explicit OpenWatch(const std::string &path)
	{
		REQUIRE(fd.valid());
		REQUIRE(inotify_add_watch(fd.get(), path.c_str(), IN_OPEN) >= 0);
		UniqueFD probe(open(path.c_str(), O_PATH | O_CLOEXEC));
		REQUIRE(probe.valid());
		calibrated = !opened();
	}
	bool usable() const { return calibrated; }
	bool opened() const
	{
		char buf[4096];
		return read(fd.get(), buf, sizeof(buf)) > 0;
	}
};

} // namespace

TEST_CASE("a FIFO or a device is refused without ever being opened")
{
	Tree t;
	if (geteuid() == 0)
		REQUIRE(mknod((t.dir / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
	t.link("../fifo", "incoming/f");
	for (const char *special : {"fifo", "null"}) {
		if (std::string_view(special) == "null" && geteuid() != 0)
			continue;
		std::string path = (t.dir / special).string();
		OpenWatch watch(path);
		for (std::string_view p : {std::string_view(special), std::string_view("incoming/f")}) {
			if (p == "incoming/f" && std::string_view(special) != "fifo")
				continue;
			CAPTURE(p);
			auto r = t.serve(p, AccessNeed::Read);
			CHECK(refusal(r) == EPERM);
			if (!r.ok())
				CHECK(r.error().why == "not a regular file");
			CHECK(refusal(t.serve(p, AccessNeed::List)) == ENOTDIR);
			auto meta = t.serve(p, AccessNeed::Inspect);
			REQUIRE(meta.ok());
			CHECK((fcntl(meta->fd.get(), F_GETFL) & O_PATH) != 0);
		}
		if (watch.usable())
			CHECK_FALSE(watch.opened());
	}
	// No reader ever held the FIFO open: a writer finds none.
	int w = open((t.dir / "fifo").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(w == -1);
	CHECK(errno == ENXIO);
	if (w >= 0)
		close(w);
}

TEST_CASE("Read and List hand out real descriptors, Inspect an O_PATH one")
{
	Tree t;
	auto file = t.serve("public/readme.txt", AccessNeed::Read);
	REQUIRE(file.ok());
	CHECK((fcntl(file->fd.get(), F_GETFL) & O_PATH) == 0);
	CHECK((fcntl(file->fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
	auto dir = t.serve("public", AccessNeed::List);
	REQUIRE(dir.ok());
	CHECK((fcntl(dir->fd.get(), F_GETFL) & O_PATH) == 0);
	CHECK(S_ISDIR(dir->st.st_mode));
	auto meta = t.serve("public/readme.txt", AccessNeed::Inspect);
	REQUIRE(meta.ok());
	CHECK((fcntl(meta->fd.get(), F_GETFL) & O_PATH) != 0);
	CHECK(meta->st.st_size == 6);
}

TEST_SUITE_END();
