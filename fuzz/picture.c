/* SPDX-License-Identifier: ISC */
/*
 * picture.c - fuzz target: bytes as a picture blob, as a recording from
 * anywhere would be. picture_open() must refuse what is malformed, and
 * whatever it accepts must list without reading outside the blob.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "fuzz.h"
#include "picture.h"
#include "query.h"

void fuzz_json_lines(const struct jbuf *b)
{
	size_t off = 0;

	while (off < b->len) {
		const char *nl = memchr(b->p + off, '\n', b->len - off);
		size_t n = nl ? (size_t)(nl - (b->p + off)) : b->len - off;
		json_t *o = json_loadb(b->p + off, n, 0, NULL);

		if (!json_is_object(o))
			abort();
		json_decref(o);
		off += n + 1;
	}
}

static void fuzz_query(const struct picture *pic, const struct query_opts *o)
{
	struct query *q = query_new(pic, o);
	struct jbuf b = { 0 };
	int ret = 1, steps = 0;

	while (q && ret > 0 && steps++ < 1000000)
		ret = query_step(q, &b, b.len + 4096);
	if (ret > 0)
		abort(); /* a listing that never ends */
	if (ret == 0 && !b.oom)
		fuzz_json_lines(&b);
	query_free(q);
	jbuf_free(&b);
}

int fuzz_picture_list(const void *blob, size_t len)
{
	struct filter_error err;
	struct filter *f = filter_parse("sport = :80 or proc x", &err);
	struct query_opts all = { .all = 1, .interval_ms = 1000 };
	struct query_opts own = { .filter = f, .uid = 0, .interval_ms = 1000 };
	struct picture pic;
	char why[160];

	if (picture_open(&pic, blob, len, why, sizeof(why)) < 0) {
		filter_free(f);
		return 0;
	}
	fuzz_query(&pic, &all);
	if (f)
		fuzz_query(&pic, &own);
	filter_free(f);
	return 1;
}

int fuzz_picture(const uint8_t *data, size_t size)
{
	/* a blob is 8-byte aligned where it is read: mapped, or malloc'd */
	void *blob = malloc(size ? size : 1);

	if (!blob)
		return 0;
	memcpy(blob, data, size);
	fuzz_picture_list(blob, size);
	free(blob);
	return 0;
}
