/* SPDX-License-Identifier: ISC */
/*
 * snap.c - the server's side of a picture. The memfd must be sealed
 * against writing, shrinking and growing before it is trusted: what was
 * checked once then stays true for as long as it is mapped.
 */
#include "snap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAP_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

static void *snap_mmap(int fd, size_t *len, char *err, size_t errsz)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	void *p;

	if (seals < 0 || (seals & SNAP_SEALS) != SNAP_SEALS) {
		snprintf(err, errsz, "the picture is not sealed");
		return NULL;
	}
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		snprintf(err, errsz, "the picture has no size");
		return NULL;
	}
	*len = (size_t)st.st_size;
	p = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errsz, "mmap: %s", strerror(errno));
		return NULL;
	}
	return p;
}

struct snap *snap_map(int fd, char *err, size_t errsz)
{
	struct snap *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	s->map = snap_mmap(fd, &s->len, err, errsz);
	if (!s->map) {
		free(s);
		return NULL;
	}
	if (picture_open(&s->pic, s->map, s->len, err, errsz) < 0) {
		munmap(s->map, s->len);
		free(s);
		return NULL;
	}
	s->refs = 1;
	s->fd = fd;
	return s;
}

struct snap *snap_ref(struct snap *s)
{
	s->refs++;
	return s;
}

void snap_unref(struct snap *s)
{
	if (!s || --s->refs > 0)
		return;
	munmap(s->map, s->len);
	close(s->fd);
	free(s);
}
