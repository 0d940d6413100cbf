/* SPDX-License-Identifier: ISC */
/*
 * proto.c - fuzz target: a request line through the codec. What the
 * daemon takes, the client's encoder writes back so that it parses to
 * the same request (the encoder and the parser agree on every string),
 * or, when its escapes made the line too long, is refused as too_large.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jbuf.h"
#include "proto.h"

static void fuzz_same(const struct proto_request *a,
		      const struct proto_request *b)
{
	if (a->cmd != b->cmd || a->fresh != b->fresh || a->view != b->view ||
	    !a->filter != !b->filter ||
	    (a->filter && strcmp(a->filter, b->filter) != 0))
		abort();
}

int fuzz_proto(const uint8_t *data, size_t size)
{
	struct proto_request req = { 0 }, again = { 0 };
	struct jbuf b = { 0 };
	char msg[256];

	if (proto_parse((const char *)data, size, &req, msg, sizeof(msg)) !=
	    PROTO_OK) {
		if (!msg[0]) /* every refusal says why */
			abort();
		return 0;
	}
	proto_request(&b, &req);
	/* escapes may make a line that fit too long: then it says so */
	if (!b.oom && b.len - 1 > PROTO_MAX_LINE) {
		if (proto_parse(b.p, b.len - 1, &again, msg, sizeof(msg)) !=
		    PROTO_TOO_LARGE)
			abort();
	} else if (!b.oom) {
		if (b.len == 0 || b.p[b.len - 1] != '\n' ||
		    proto_parse(b.p, b.len - 1, &again, msg, sizeof(msg)) !=
			    PROTO_OK)
			abort();
		fuzz_same(&req, &again);
	}
	proto_request_clear(&again);
	proto_request_clear(&req);
	jbuf_free(&b);
	return 0;
}
