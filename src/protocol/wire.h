// SPDX-License-Identifier: MIT
#pragma once

// The fileserver wire protocol, version 2 (sessions). docs/protocol.md is
// the specification; this file is its only implementation. All integers are in
// host byte order: queues never leave the host.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fileserver::protocol {

inline constexpr std::uint32_t kRequestMagic = 0x51525346; // "FSRQ"
inline constexpr std::uint32_t kReplyMagic = 0x50525346;   // "FSRP"
inline constexpr std::uint16_t kVersion = 2;
// The version before sessions: its requests are only decoded far enough to
// tell the old client, in a version-1 ERROR, why it is not served.
inline constexpr std::uint16_t kVersion1 = 1;

inline constexpr std::size_t kRequestHeaderSize = 64;
inline constexpr std::size_t kReplyHeaderSize = 48;
inline constexpr std::size_t kMaxQueueNameSize = 256; // '/' + NAME_MAX
inline constexpr std::size_t kMaxPathSize = 4096;
inline constexpr std::size_t kMaxRequestSize = kRequestHeaderSize + kMaxQueueNameSize + kMaxPathSize;
// Smallest reply queue message size a server accepts: room for every
// fixed-size reply and a directory entry with a NAME_MAX name.
inline constexpr std::size_t kMinReplyMessageSize = 512;
inline constexpr std::size_t kMaxErrorText = 256;
inline constexpr std::uint64_t kToEnd = UINT64_MAX;

enum class Op : std::uint16_t {
	Get = 1,
	Stat = 2,
	List = 3,
	Ping = 4,
	Status = 5,
	Open = 6,  // opens a session: names the reply queue, answered by CHALLENGE
	Close = 7, // ends a session; no reply
};

enum class ReplyType : std::uint16_t {
	Meta = 1,
	Data = 2,
	End = 3,
	Error = 4,
	Entries = 5,
	Pong = 6,
	Status = 7,    // STATUS: the server's statistics as a JSON object (UTF-8 text)
	Challenge = 8, // the answer to OPEN: session id and secret
};

using Nonce = std::array<std::uint8_t, 16>;
// The session secret travels in the nonce field of requests and replies.
using Secret = Nonce;

struct Request {
	Op op = Op::Ping;
	std::uint64_t id = 0;
	// OPEN: the client's nonce, echoed in the answer; other ops: the
	// session secret.
	Nonce nonce = {};
	std::uint64_t offset = 0;
	std::uint64_t length = kToEnd;
	std::string reply_queue; // OPEN only (and version-1 requests)
	std::string path;
	std::uint32_t pid = 0;     // OPEN only: the client's process id
	std::uint64_t session = 0; // every op but OPEN
};

struct ReplyHeader {
	std::uint16_t version = kVersion; // kVersion1 only to answer an old client
	ReplyType type = ReplyType::End;
	std::uint64_t request_id = 0;
	Nonce nonce = {};
	std::uint64_t seq = 0;
	std::uint32_t payload_size = 0;
};

struct Meta {
	std::uint64_t size = 0;   // file size (directories: st_size)
	std::uint64_t offset = 0; // first byte that DATA messages carry
	std::uint64_t length = 0; // bytes that DATA messages will carry
	std::uint32_t mode = 0;   // st_mode, type bits included
	std::uint32_t uid = 0;
	std::uint32_t gid = 0;
	std::int64_t mtime_sec = 0;
	std::uint32_t mtime_nsec = 0;
	std::uint32_t chunk_size = 0; // largest DATA payload the server sends
};
inline constexpr std::size_t kMetaSize = 56;

struct End {
	std::uint64_t total = 0; // GET: data bytes; LIST: entries; STAT, PING: 0
};
inline constexpr std::size_t kEndSize = 8;

struct Error {
	std::uint32_t code = 0; // a Linux errno value
	std::string text;
};
inline constexpr std::size_t kErrorFixedSize = 8;

struct Pong {
	std::uint16_t protocol_version = kVersion;
	std::string server_version;
};
inline constexpr std::size_t kPongFixedSize = 4;

struct Challenge {
	std::uint64_t session = 0; // never 0
	Secret secret = {};
	std::uint32_t idle_timeout_ms = 0; // the server closes the session after this long unused
};
inline constexpr std::size_t kChallengeSize = 32;

struct Entry {
	std::uint8_t type = 0; // DT_* value
	std::uint32_t mode = 0;
	std::uint64_t size = 0;
	std::int64_t mtime_sec = 0;
	std::string name;
};
inline constexpr std::size_t kEntryFixedSize = 24;
inline constexpr std::size_t kMaxEntryName = 255;

enum class Status {
	Ok = 0,
	TooShort, // fewer bytes than the fixed header
	BadMagic,
	BadVersion,
	BadType,      // unknown op or reply type
	BadLength,    // declared lengths disagree with the message size
	BadQueueName, // reply queue name is not a valid queue name
	PathTooLong,
	BadReserved, // reserved bytes or flags not zero
	BadPayload,  // payload does not match its type's layout
	OldVersion,  // a valid version-1 request: op, id, nonce and reply_queue are filled in
};

std::string_view to_string(Status status);
std::string_view to_string(Op op);

// Requests. encode_request returns an empty vector if a field is out of
// bounds or breaks the op's rules (OPEN: a valid reply queue, a pid, no
// session; other ops: a session, no reply queue).
std::vector<std::uint8_t> encode_request(const Request &req);
// On PathTooLong every field but the path is filled in and valid, so that
// the request can be answered with an error. A version-1 request that is
// valid by the rules of version 1 gives OldVersion.
Status decode_request(std::span<const std::uint8_t> msg, Request &out);
// A version-1 request, for tests and the fuzzer: the encoding old clients use.
std::vector<std::uint8_t> encode_request_v1(const Request &req);

// Replies: a header and a payload. encode_reply writes into @out (which must
// hold kReplyHeaderSize + payload) and returns the message size, or 0 if the
// payload does not fit.
std::size_t encode_reply(const ReplyHeader &hdr, std::span<const std::uint8_t> payload,
                         std::span<std::uint8_t> out);
// Writes only the header in front of a payload already placed at
// out[kReplyHeaderSize...]: the zero-copy path for file data.
void encode_reply_header(const ReplyHeader &hdr, std::span<std::uint8_t> out);
Status decode_reply(std::span<const std::uint8_t> msg, ReplyHeader &hdr,
                    std::span<const std::uint8_t> &payload);

std::array<std::uint8_t, kMetaSize> encode_meta(const Meta &meta);
Status decode_meta(std::span<const std::uint8_t> payload, Meta &out);
std::array<std::uint8_t, kEndSize> encode_end(const End &end);
Status decode_end(std::span<const std::uint8_t> payload, End &out);
// The text is cut to kMaxErrorText bytes.
std::vector<std::uint8_t> encode_error(const Error &err);
Status decode_error(std::span<const std::uint8_t> payload, Error &out);
std::vector<std::uint8_t> encode_pong(const Pong &pong);
Status decode_pong(std::span<const std::uint8_t> payload, Pong &out);
std::array<std::uint8_t, kChallengeSize> encode_challenge(const Challenge &challenge);
Status decode_challenge(std::span<const std::uint8_t> payload, Challenge &out);

// Appends one entry to an ENTRIES payload; returns false if it would not fit
// in @limit bytes (the payload is left unchanged).
bool append_entry(std::vector<std::uint8_t> &payload, const Entry &entry, std::size_t limit);
Status decode_entries(std::span<const std::uint8_t> payload, std::vector<Entry> &out);

} // namespace fileserver::protocol
