/* SPDX-License-Identifier: MIT */
/*
 * libfileserver-client: fetch files, metadata and listings from a local
 * fileserverd over POSIX message queues. See libfileserver-client(3).
 *
 * Every int-returning call returns 0 (or a count) on success and a negative
 * errno value on failure; fileserver_error_message() then describes the
 * calling thread's last failure.
 */
#ifndef FILESERVER_CLIENT_H
#define FILESERVER_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FILESERVER_CLIENT_API_VERSION 2

typedef struct fileserver_session fileserver_session;
typedef struct fileserver_dir fileserver_dir;

/* META of a file or directory */
struct fileserver_stat {
	uint64_t size;
	uint32_t mode; /* st_mode with type bits */
	uint32_t uid, gid;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
};

struct fileserver_dirent {
	const char *name; /* NUL-terminated copy; valid until the next list call */
	size_t name_len;
	uint8_t type; /* DT_* */
	uint32_t mode;
	uint64_t size;
	int64_t mtime_sec;
};

/* The calling thread's last failure, never NULL ("" if there was none). */
const char *fileserver_error_message(void);

/* queue: NULL = "/fileserver"; timeout_ms <= 0: 10000 (per reply message) */
int fileserver_session_open(const char *queue, int timeout_ms, fileserver_session **out);
void fileserver_session_close(fileserver_session *s); /* NULL ok */

/*
 * For a program's handlers of fatal signals: removes the names of reply
 * queues that sessions being opened have created and the server has not
 * answered yet (nothing else is left behind). Async-signal-safe.
 */
void fileserver_signal_cleanup(void);

/* Writes the server's version, NUL-terminated and truncated to fit. */
int fileserver_ping(fileserver_session *s, char *version, size_t version_size);
int fileserver_status(fileserver_session *s, char **json); /* free() the string */
int fileserver_stat(fileserver_session *s, const char *path, struct fileserver_stat *st);

/* length UINT64_MAX = to the end. Data goes in order; st (may be NULL) gets META first. */
int fileserver_get_fd(fileserver_session *s, const char *path, uint64_t offset, uint64_t length, int fd,
                      struct fileserver_stat *st);
typedef int (*fileserver_data_fn)(void *ctx, uint64_t offset, const void *data, size_t len);
/* the callback returns 0 to go on or a negative errno to abort the transfer */
int fileserver_get_cb(fileserver_session *s, const char *path, uint64_t offset, uint64_t length,
                      fileserver_data_fn fn, void *ctx, struct fileserver_stat *st);
/*
 * Sends the request of the next GET now; the next fileserver_get_fd() or
 * fileserver_get_cb() with the same path, offset and length takes its reply,
 * any other call drops it (with the session). One at a time. API version 2.
 */
int fileserver_get_ahead(fileserver_session *s, const char *path, uint64_t offset, uint64_t length);

int fileserver_list_open(fileserver_session *s, const char *path, fileserver_dir **out);
/* 1: *entry set; 0: no more entries; < 0: error */
int fileserver_list_next(fileserver_dir *d, const struct fileserver_dirent **entry);
void fileserver_list_close(fileserver_dir *d); /* NULL ok */

#ifdef __cplusplus
}
#endif

#endif /* FILESERVER_CLIENT_H */
