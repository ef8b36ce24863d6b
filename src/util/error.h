// SPDX-License-Identifier: MIT
#pragma once

// The project's one error value (docs/coding-style.md, "Errors"): everything
// above the raw system-call wrappers returns Result<T>, an error being a
// positive errno value and a message for whoever handles it.

#include <cassert>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace fileserver {

struct Error {
	int code = 0; // a positive errno value
	std::string why;

	// Accepts errno or -errno, as system calls and wrappers return them.
	static Error from_errno(int err, std::string why)
	{
		return Error{err < 0 ? -err : err, std::move(why)};
	}
};

// A value or an Error; a minimal std::expected (C++23) for C++20.
template<typename T>
class [[nodiscard]] Result
{
public:
	Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
	Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

	[[nodiscard]] bool ok() const { return v_.index() == 0; }
	explicit operator bool() const { return ok(); }

	T &value() &
	{
		assert(ok());
		return std::get<0>(v_);
	}
	const T &value() const &
	{
		assert(ok());
		return std::get<0>(v_);
	}
	T &&value() &&
	{
		assert(ok());
		return std::get<0>(std::move(v_));
	}
	T *operator->() { return &value(); }
	const T *operator->() const { return &value(); }
	T &operator*() & { return value(); }
	const T &operator*() const & { return value(); }

	[[nodiscard]] const Error &error() const
	{
		assert(!ok());
		return std::get<1>(v_);
	}
	[[nodiscard]] Error &&take_error()
	{
		assert(!ok());
		return std::get<1>(std::move(v_));
	}

private:
	std::variant<T, Error> v_;
};

template<>
class [[nodiscard]] Result<void>
{
public:
	Result() = default;
	Result(Error error) : error_(std::move(error)) {}

	[[nodiscard]] bool ok() const { return !error_.has_value(); }
	explicit operator bool() const { return ok(); }

	[[nodiscard]] const Error &error() const
	{
		assert(!ok());
		return *error_;
	}
	[[nodiscard]] Error &&take_error()
	{
		assert(!ok());
		return std::move(*error_);
	}

private:
	std::optional<Error> error_;
};

// A command line that cannot be used, thrown while parsing it; the message
// names the option. Both programs exit with status 2 for it.
class UsageError : public std::runtime_error
{
public:
	using std::runtime_error::runtime_error;
};

} // namespace fileserver
