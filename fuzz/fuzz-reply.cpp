// SPDX-License-Identifier: MIT
// libFuzzer harness for decode_reply() and the payload decoders: the client
// decodes whatever lands on its reply queue, and others may write to it.
// What decodes must encode back to the same bytes, so the decoders accept
// nothing that the encoders would not write.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "protocol/wire.h"

using namespace fileserver::protocol;

namespace {

void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

bool same_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b)
{
	return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void check_meta(std::span<const std::uint8_t> payload)
{
	Meta meta;
	if (decode_meta(payload, meta) != Status::Ok)
		return;
	check(payload.size() == kMetaSize);
	check(meta.mtime_nsec < 1000000000u);
	check(meta.offset <= meta.size && meta.length <= meta.size - meta.offset);
	check(same_bytes(encode_meta(meta), payload));
}

void check_end(std::span<const std::uint8_t> payload)
{
	End end;
	if (decode_end(payload, end) != Status::Ok)
		return;
	check(same_bytes(encode_end(end), payload));
}

void check_error(std::span<const std::uint8_t> payload)
{
	Error err;
	if (decode_error(payload, err) != Status::Ok)
		return;
	check(err.text.size() <= kMaxErrorText);
	check(same_bytes(encode_error(err), payload));
}

void check_pong(std::span<const std::uint8_t> payload)
{
	Pong pong;
	if (decode_pong(payload, pong) != Status::Ok)
		return;
	check(pong.server_version.size() <= 64);
	check(same_bytes(encode_pong(pong), payload));
}

void check_entries(std::span<const std::uint8_t> payload)
{
	std::vector<Entry> entries;
	if (decode_entries(payload, entries) != Status::Ok)
		return;
	std::vector<std::uint8_t> again;
	for (const Entry &e : entries) {
		check(!e.name.empty() && e.name.size() <= kMaxEntryName);
		check(e.name.find('/') == std::string::npos && e.name.find('\0') == std::string::npos);
		check(append_entry(again, e, payload.size()));
	}
	check(same_bytes(again, payload));
}

void check_challenge(std::span<const std::uint8_t> payload)
{
	Challenge challenge;
	if (decode_challenge(payload, challenge) != Status::Ok)
		return;
	check(challenge.session != 0);
	check(same_bytes(encode_challenge(challenge), payload));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	std::span<const std::uint8_t> msg(data, size);
	ReplyHeader hdr;
	std::span<const std::uint8_t> payload;
	Status status = decode_reply(msg, hdr, payload);
	check(!to_string(status).empty());
	if (status != Status::Ok)
		return 0;

	check(size >= kReplyHeaderSize);
	check(payload.data() == data + kReplyHeaderSize && payload.size() == size - kReplyHeaderSize);
	check(hdr.payload_size == payload.size());
	check(hdr.version == kVersion);
	std::vector<std::uint8_t> again(size);
	check(encode_reply(hdr, payload, again) == size);
	check(same_bytes(again, msg));

	switch (hdr.type) {
	case ReplyType::Meta: check_meta(payload); break;
	case ReplyType::Data: break; // file content: any bytes
	case ReplyType::End: check_end(payload); break;
	case ReplyType::Error: check_error(payload); break;
	case ReplyType::Entries: check_entries(payload); break;
	case ReplyType::Pong: check_pong(payload); break;
	case ReplyType::Status: break; // JSON text, parsed by fileserverctl
	case ReplyType::Challenge: check_challenge(payload); break;
	default: __builtin_trap(); // decode_reply let an unknown type through
	}
	return 0;
}
