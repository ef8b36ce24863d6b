// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cerrno>
#include <memory>
#include <string>

#include "util/error.h"

using namespace fileserver;

namespace {

Result<int> half(int v)
{
	if (v % 2)
		return Error{EINVAL, "odd"};
	return v / 2;
}

Result<void> check(bool ok)
{
	if (!ok)
		return Error::from_errno(-EACCES, "denied");
	return {};
}

} // namespace

TEST_CASE("Error::from_errno takes errno or -errno and keeps a positive code")
{
	CHECK(Error::from_errno(ENOENT, "x").code == ENOENT);
	CHECK(Error::from_errno(-ENOENT, "x").code == ENOENT);
	CHECK(Error::from_errno(-EPERM, "why").why == "why");
}

TEST_CASE("Result holds a value or an error")
{
	Result<int> ok = half(8);
	REQUIRE(ok.ok());
	CHECK(static_cast<bool>(ok));
	CHECK(ok.value() == 4);
	CHECK(*ok == 4);

	Result<int> bad = half(3);
	REQUIRE_FALSE(bad.ok());
	CHECK(bad.error().code == EINVAL);
	CHECK(bad.error().why == "odd");
	Error taken = bad.take_error();
	CHECK(taken.why == "odd");

	Result<std::unique_ptr<int>> moved(std::make_unique<int>(7));
	std::unique_ptr<int> p = std::move(moved).value();
	CHECK(*p == 7);

	Result<std::string> s(std::string("abc"));
	CHECK(s->size() == 3);
}

TEST_CASE("Result<void>")
{
	CHECK(check(true).ok());
	Result<void> r = check(false);
	REQUIRE_FALSE(r.ok());
	CHECK(r.error().code == EACCES);
	CHECK(r.error().why == "denied");
}
