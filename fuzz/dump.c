/* SPDX-License-Identifier: ISC */
/*
 * dump.c - fuzz target: bytes as the kernel's sock_diag replies, through
 * everything a picture goes through: parsed into records, grouped into a
 * picture blob, opened, listed, and every record read back as JSON. The input
 * is a recording as tests/data/dump.bin is one: buffers, each after its length
 * (u32, host order), the first two dumps TCP, the rest UDP.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fuzz.h"
#include "picture.h"

static const char *fuzz_namer(void *ctx, uint32_t ifindex)
{
	(void)ctx;
	return ifindex == 1 ? "lo" : ifindex == 2 ? "eth\xff\x1b" : NULL;
}

/* The buffers of a recording into res, until one is refused. */
static void fuzz_parse(struct diag_result *res, const uint8_t *data,
		       size_t size)
{
	struct diag_parser p = { res, IPPROTO_TCP, 0, 0, 0 };
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

/* What the poller writes, the server must read. */
static void fuzz_list(const struct picture_parts *pp)
{
	size_t len;
	void *blob = picture_blob(pp, &len);

	if (blob && !fuzz_picture_list(blob, len))
		abort();
	free(blob);
}

int fuzz_dump(const uint8_t *data, size_t size)
{
	struct diag_result res = { 0 };
	const struct picture_host host = { .name = "fuzz",
					   .namer = fuzz_namer };
	struct picture_parts pp;

	fuzz_parse(&res, data, size);
	if (picture_parts_build(&pp, res.recs, res.n, &host) == 0) {
		fuzz_list(&pp);
		picture_parts_free(&pp);
	}
	diag_result_free(&res);
	return 0;
}
