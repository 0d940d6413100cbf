/* SPDX-License-Identifier: ISC */
/*
 * dump.c - fuzz target: bytes as the kernel's sock_diag replies, through
 * everything a picture goes through: parsed into records, grouped into a
 * picture blob, opened, listed, and every record read back as JSON. The input
 * is a recording as tests/data/dump.bin is one: buffers, each after its length
 * (u32, host order), the first two dumps TCP, the rest UDP.
 */
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fuzz.h"
#include "picture.h"
#include "query.h"

static const char *fuzz_namer(void *ctx, uint32_t ifindex)
{
	(void)ctx;
	return ifindex == 1 ? "lo" : ifindex == 2 ? "eth\xff\x1b" : NULL;
}

/* Each line of b is one JSON object, or abort. */
static void fuzz_json_lines(const struct jbuf *b)
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

/* The buffers of a recording into res, until one is refused. */
static void fuzz_parse(struct diag_result *res, const uint8_t *data,
		       size_t size)
{
	struct diag_parser p = { res, IPPROTO_TCP, 0, 0 };
	unsigned dumps = 0;
	uint32_t len;

	while (size >= sizeof(len)) {
		int ret;

		memcpy(&len, data, sizeof(len));
		data += sizeof(len);
		size -= sizeof(len);
		if (len > size)
			return;
		p.proto = dumps < 2 ? IPPROTO_TCP : IPPROTO_UDP;
		ret = diag_parse(&p, data, len);
		if (ret < 0)
			return;
		dumps += ret == 0;
		data += len;
		size -= len;
	}
}

/* The picture's blob, opened as the server opens it, listed whole. */
static void fuzz_list(const struct picture_parts *pp)
{
	struct query_opts o = { .all = 1, .interval_ms = 1000 };
	struct picture pic;
	struct jbuf b = { 0 };
	struct query *q;
	char err[160];
	size_t len;
	void *blob = picture_blob(pp, &len);
	int ret = 1;

	if (!blob)
		return;
	if (picture_open(&pic, blob, len, err, sizeof(err)) < 0)
		abort(); /* what the poller writes, the server must read */
	q = query_new(&pic, &o);
	while (q && ret > 0)
		ret = query_step(q, &b, b.len + 65536);
	if (ret == 0 && !b.oom)
		fuzz_json_lines(&b);
	query_free(q);
	jbuf_free(&b);
	free(blob);
}

int fuzz_dump(const uint8_t *data, size_t size)
{
	struct diag_result res = { 0 };
	struct picture_parts pp;

	fuzz_parse(&res, data, size);
	if (picture_parts_build(&pp, res.recs, res.n, "fuzz", fuzz_namer,
				NULL) == 0) {
		fuzz_list(&pp);
		picture_parts_free(&pp);
	}
	diag_result_free(&res);
	return 0;
}
