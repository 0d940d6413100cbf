/* SPDX-License-Identifier: ISC */
/*
 * dump.c - fuzz target: bytes as the kernel's sock_diag replies, through
 * everything a picture goes through: parsed into records, grouped into a
 * snapshot, encoded, and every record read back as JSON. The input is a
 * recording as tests/data/dump.bin is one: buffers, each after its
 * length (u32, host order), the first two dumps TCP, the rest UDP.
 */
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "encode.h"
#include "fuzz.h"
#include "snapshot.h"

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

int fuzz_dump(const uint8_t *data, size_t size)
{
	struct diag_result res = { 0 };
	struct encode_totals t;
	struct snapshot *s;
	struct jbuf b = { 0 };
	size_t gi;

	fuzz_parse(&res, data, size);
	s = snapshot_new(&res, "fuzz", fuzz_namer, NULL);
	if (!s) {
		diag_result_free(&res);
		return 0;
	}
	encode_header(&b, s, s->taken_mono_ms, 1000, 1);
	for (gi = 0; gi < s->grouping.ngroups; gi++)
		encode_group(&b, s, gi);
	encode_totals_all(s, &t);
	encode_end(&b, s->grouping.ngroups, &t);
	if (!b.oom)
		fuzz_json_lines(&b);
	jbuf_free(&b);
	snapshot_unref(s);
	diag_result_free(&res);
	return 0;
}
