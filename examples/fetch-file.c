/* SPDX-License-Identifier: MIT */
/*
 * fetch-file: copies one file from a fileserverd with libfileserver-client.
 *
 *   fetch-file [-q QUEUE] [-t TIMEOUT_MS] PATH [OUTPUT]
 *
 * Opens a session with the server on QUEUE (default /fileserver), checks
 * with fileserver_stat() that PATH is a regular file, then fetches it
 * whole into OUTPUT (created or truncated), or to standard output when
 * OUTPUT is missing or "-". Errors are printed with
 * fileserver_error_message().
 *
 * Build:  cc -o fetch-file fetch-file.c $(pkg-config --cflags --libs fileserver-client)
 *
 * Exit status:
 *   0  the file was copied
 *   1  the server or the transfer failed (no server, timeout, protocol, ...)
 *   2  usage error
 *   3  PATH does not exist on the server (ENOENT)
 *   4  PATH is not a regular file, or the server denied access (EACCES)
 *   5  OUTPUT cannot be opened or written
 */
#define _POSIX_C_SOURCE 200809L /* getopt, O_CLOEXEC */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fileserver/client.h>

static int usage(void)
{
	fprintf(stderr, "usage: fetch-file [-q QUEUE] [-t TIMEOUT_MS] PATH [OUTPUT]\n");
	return 2;
}

/* The exit status for a failed call's negative errno. */
static int status_for(int err)
{
	switch (-err) {
	case ENOENT:
		return 3;
	case EACCES:
	case EISDIR:
		return 4;
	default:
		return 1;
	}
}

static int fail(const char *what, const char *path, int err)
{
	fprintf(stderr, "fetch-file: %s %s: %s\n", what, path, fileserver_error_message());
	return status_for(err);
}

int main(int argc, char **argv)
{
	const char *queue = NULL;
	int timeout_ms = 0;
	int opt;
	while ((opt = getopt(argc, argv, "q:t:")) != -1) {
		switch (opt) {
		case 'q':
			queue = optarg;
			break;
		case 't':
			timeout_ms = atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return usage();
	const char *path = argv[optind];
	const char *output = argc - optind == 2 ? argv[optind + 1] : "-";

	fileserver_session *s;
	int r = fileserver_session_open(queue, timeout_ms, &s);
	if (r < 0) {
		fprintf(stderr, "fetch-file: cannot reach the server: %s\n", fileserver_error_message());
		return 1;
	}

	struct fileserver_stat st;
	r = fileserver_stat(s, path, &st);
	if (r < 0) {
		r = fail("cannot stat", path, r);
		goto out;
	}
	if (!S_ISREG(st.mode)) {
		fprintf(stderr, "fetch-file: %s is not a regular file\n", path);
		r = 4;
		goto out;
	}

	int fd = STDOUT_FILENO;
	if (strcmp(output, "-") != 0) {
		fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (fd < 0) {
			fprintf(stderr, "fetch-file: cannot open %s: %s\n", output, strerror(errno));
			r = 5;
			goto out;
		}
	}
	r = fileserver_get_fd(s, path, 0, UINT64_MAX, fd, NULL);
	if (r < 0) {
		r = r == -EIO ? 5 : fail("cannot fetch", path, r);
		if (r == 5)
			fprintf(stderr, "fetch-file: %s\n", fileserver_error_message());
	} else {
		r = 0;
	}
	if (fd != STDOUT_FILENO && close(fd) < 0 && r == 0) {
		fprintf(stderr, "fetch-file: cannot write %s: %s\n", output, strerror(errno));
		r = 5;
	}
out:
	fileserver_session_close(s);
	return r;
}
