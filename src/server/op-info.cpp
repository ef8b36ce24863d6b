// SPDX-License-Identifier: MIT
// The operations that send one answer: PING, STATUS, STAT.
#include "operations.h"

#include <cerrno>

#include "build-config.h"
#include "server/object-access.h"

namespace fileserver {

using protocol::ReplyType;

namespace {

// One reply of @type, then END.
SourceResult answer(ReplyType type, std::span<const std::uint8_t> payload)
{
	auto source = std::make_unique<FixedSource>();
	source->add(type, payload);
	source->add(ReplyType::End, protocol::encode_end({0}));
	return SourceResult(std::move(source));
}

} // namespace

Error shutting_down()
{
	return Error{ESHUTDOWN, "server shutting down"};
}

protocol::Meta meta_from_stat(const struct stat &st, std::size_t chunk_size)
{
	protocol::Meta m;
	m.size = static_cast<std::uint64_t>(st.st_size);
	m.mode = st.st_mode;
	m.uid = st.st_uid;
	m.gid = st.st_gid;
	m.mtime_sec = st.st_mtim.tv_sec;
	m.mtime_nsec = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
	m.chunk_size = static_cast<std::uint32_t>(chunk_size);
	return m;
}

SourceResult start_ping()
{
	return answer(ReplyType::Pong,
	              protocol::encode_pong({protocol::kVersion, "fileserverd " FILESERVER_VERSION}));
}

SourceResult start_status(const std::string &status, std::size_t max_payload)
{
	if (status.size() > max_payload)
		return Error{EMSGSIZE, "status does not fit in the reply queue's messages"};
	return answer(ReplyType::Status,
	              std::span(reinterpret_cast<const std::uint8_t *>(status.data()), status.size()));
}

SourceResult start_stat(const OpRequest &op)
{
	auto obj = open_checked(op.context.config.access, op.context.root.get(), op.uid, op.request.path,
	                        AccessNeed::Inspect);
	if (!obj)
		return obj.take_error();
	return answer(ReplyType::Meta, protocol::encode_meta(meta_from_stat(obj->st, op.max_payload)));
}

} // namespace fileserver
