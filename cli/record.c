/* SPDX-License-Identifier: ISC */
/*
 * record.c - a recording is the picture's blob as the daemon holds it:
 * the daemon passes its sealed memfd, and this copies the bytes, once
 * they have been checked as the server checks them, into a file.
 */
#include "record.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "records.h"
#include "picture.h"
#include "render.h"

static int record_open(const char *path)
{
	int fd;

	if (strcmp(path, "-") == 0)
		return STDOUT_FILENO;
	/* who held which socket, of every user: for the recorder's eyes */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		err(EXIT_USAGE, "%s", render_safe(path));
	return fd;
}

static void record_write(int fd, const char *path, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err(EXIT_DAEMON_ERROR, "writing %s", render_safe(path));
		p += n;
		len -= (size_t)n;
	}
}

/* The blob, mapped, checked; what the record line said must match. */
static void *record_map(int fd, size_t size, struct picture *pic)
{
	char why[160];
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0 || (size_t)st.st_size != size)
		errx(EXIT_DAEMON_ERROR,
		     "sockwatchd passed a picture of another size than it "
		     "said");
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(EXIT_DAEMON_ERROR, "mapping the picture");
	if (picture_open(pic, p, size, why, sizeof(why)) < 0)
		errx(EXIT_DAEMON_ERROR, "sockwatchd passed a bad picture: %s",
		     why);
	return p;
}

int record_save(struct conn *c, int fresh, const char *path)
{
	struct proto_request req = { .cmd = PROTO_CMD_RECORD, .fresh = fresh };
	struct picture pic;
	long long size;
	void *p;
	int fd, out;

	conn_send(c, &req);
	size = rd_recording(c);
	fd = conn_take_fd(c);
	if (fd < 0 || size <= 0)
		errx(EXIT_DAEMON_ERROR, "sockwatchd sent no picture");
	p = record_map(fd, (size_t)size, &pic);
	out = record_open(path);
	record_write(out, path, p, (size_t)size);
	if (out != STDOUT_FILENO && close(out) < 0)
		err(EXIT_DAEMON_ERROR, "writing %s", render_safe(path));
	if (out != STDOUT_FILENO)
		fprintf(stderr,
			"%s: picture %llu: %zu sockets in %zu groups, %lld "
			"bytes, to %s\n",
			program_invocation_short_name,
			(unsigned long long)pic.h->generation, pic.n,
			pic.ngroups, (long long)size, render_safe(path));
	munmap(p, (size_t)size);
	close(fd);
	return 0;
}
