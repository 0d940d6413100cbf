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
		snprintf(err, errsz, "the memfd is not sealed");
		return NULL;
	}
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		snprintf(err, errsz, "the memfd has no size");
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

/* A snap of the sealed memfd fd, mapped but not yet checked. */
static struct snap *snap_new(int fd, char *err, size_t errsz)
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
	s->refs = 1;
	s->fd = fd;
	return s;
}

/* Undoes snap_new, leaving the fd to the caller. */
static void snap_drop(struct snap *s)
{
	munmap(s->map, s->len);
	free(s);
}

struct snap *snap_map(int fd, char *err, size_t errsz)
{
	struct snap *s = snap_new(fd, err, errsz);

	if (s && picture_open(&s->pic, s->map, s->len, err, errsz) < 0) {
		snap_drop(s);
		return NULL;
	}
	return s;
}

struct snap *snap_overlay(struct snap *base, int fd, char *err, size_t errsz)
{
	struct snap *s;

	if (base->base)
		base = base->base;
	s = snap_new(fd, err, errsz);
	if (s &&
	    overlay_open(&s->ov, s->map, s->len, &base->pic, err, errsz) < 0) {
		snap_drop(s);
		return NULL;
	}
	if (s) {
		s->pic = base->pic;
		s->base = snap_ref(base);
	}
	return s;
}

const struct overlay *snap_overlay_of(const struct snap *s)
{
	return s->base ? &s->ov : NULL;
}

int snap_picture_fd(const struct snap *s)
{
	return s->base ? s->base->fd : s->fd;
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
	snap_unref(s->base);
	close(s->fd);
	snap_drop(s);
}
