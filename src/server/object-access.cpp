// SPDX-License-Identifier: MIT
#include "object-access.h"

#include "server/path-resolver.h"

namespace fileserver {

// Placeholder: judges the path text; to be replaced by resolution of the real object.
Result<OpenedObject> open_checked(const AccessPolicy &policy, int root_fd, uid_t uid, std::string_view path,
                                  AccessNeed need)
{
	OpenPurpose purpose = need == AccessNeed::Read   ? OpenPurpose::Read
	                      : need == AccessNeed::List ? OpenPurpose::Directory
	                                                 : OpenPurpose::Inspect;
	ResolvedPath resolved;
	std::string why;
	int r = resolve_beneath(root_fd, path, purpose, resolved, why);
	if (r < 0)
		return Error::from_errno(r, why);
	r = check_access(policy, root_fd, uid, path, resolved.st, need, why);
	if (r < 0)
		return Error::from_errno(r, why);
	OpenedObject obj;
	obj.fd = std::move(resolved.fd);
	obj.st = resolved.st;
	obj.real_path = normalize_path(path);
	return obj;
}

bool entry_permitted(const AccessPolicy &policy, std::string_view real_dir, std::string_view name)
{
	std::string p(real_dir);
	if (!p.empty())
		p += '/';
	p += name;
	return path_permitted(policy, p);
}

} // namespace fileserver
