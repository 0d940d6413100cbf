/* SPDX-License-Identifier: ISC */
/* overlay.c - checking and reading a listener overlay. */
#include "overlay.h"

#include <stdio.h>
#include <string.h>

size_t overlay_size(size_t n)
{
	return sizeof(struct overlay_header) + n * sizeof(struct overlay_entry);
}

static int overlay_bad(char *err, size_t errsz, const char *why)
{
	snprintf(err, errsz, "not a listener overlay: %s", why);
	return -1;
}

int overlay_open(struct overlay *o, const void *blob, size_t len,
		 const struct picture *p, char *err, size_t errsz)
{
	const struct overlay_header *h = blob;
	size_t i;

	memset(o, 0, sizeof(*o));
	if (len < sizeof(*h) || memcmp(h->magic, OVERLAY_MAGIC, 8) != 0)
		return overlay_bad(err, errsz, "no magic");
	if (h->version != OVERLAY_VERSION)
		return overlay_bad(err, errsz, "another version");
	if (len != overlay_size(h->count))
		return overlay_bad(err, errsz, "its size is not its count's");
	if (h->generation != p->h->generation)
		return overlay_bad(err, errsz, "made for another picture");
	o->e = (const struct overlay_entry *)(h + 1);
	for (i = 0; i < h->count; i++) {
		uint32_t rec = o->e[i].rec;

		if (rec >= p->n || !rec_is_listener(&p->recs[rec]))
			return overlay_bad(err, errsz, "names no listener");
		if (i && rec <= o->e[i - 1].rec)
			return overlay_bad(err, errsz, "out of order");
	}
	o->h = h;
	o->n = h->count;
	return 0;
}

const struct overlay_entry *overlay_find(const struct overlay *o, uint32_t rec)
{
	size_t lo = 0, hi = o ? o->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->e[mid].rec == rec)
			return &o->e[mid];
		if (o->e[mid].rec < rec)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct sock_rec *overlay_apply(const struct overlay *o, uint32_t rec,
				     const struct sock_rec *r,
				     struct sock_rec *out)
{
	const struct overlay_entry *e = overlay_find(o, rec);

	if (!e)
		return r;
	if (e->flags & OVERLAY_F_GONE)
		return NULL;
	*out = *r;
	out->rqueue = e->rqueue;
	out->wqueue = e->wqueue;
	return out;
}
