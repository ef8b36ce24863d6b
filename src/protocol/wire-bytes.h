// SPDX-License-Identifier: MIT
#pragma once

// Fixed-offset field access shared by the wire encoders and decoders:
// memcpy keeps them free of alignment and aliasing problems and compiles to
// plain loads and stores.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace fileserver::protocol::bytes {

template<typename T>
void put(std::uint8_t *p, std::size_t off, T v)
{
	std::memcpy(p + off, &v, sizeof(v));
}

template<typename T>
T get(const std::uint8_t *p, std::size_t off)
{
	T v;
	std::memcpy(&v, p + off, sizeof(v));
	return v;
}

inline bool all_zero(const std::uint8_t *p, std::size_t n)
{
	return std::all_of(p, p + n, [](std::uint8_t b) { return b == 0; });
}

} // namespace fileserver::protocol::bytes
