/* SPDX-License-Identifier: ISC */
/*
 * destroy.c - fuzz target: bytes as one buffer from the kernel's destroy
 * groups, through what the server does with a close it hears: parsed into
 * events, matched by a filter on ports and processes, encoded for a reader
 * who sees all and one who sees only uid 0, and logged in a history small
 * enough to wrap, whose entries must read back as what was logged. Every
 * event also goes through a subscriber's packed queue, and must encode
 * the same coming out of it.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "destroy.h"
#include "encode.h"
#include "event.h"
#include "evqueue.h"
#include "filter.h"
#include "fuzz.h"
#include "history.h"

#define FUZZ_HISTORY 4

struct fuzz_destroy {
	struct filter *f;
	struct history h;
	struct jbuf b;
	struct evqueue q;
	int64_t at_ms;
};

static const uint32_t fuzz_uid0;

/* ev, out of the queue, encodes as the two lines from at did. */
static void fuzz_queued(struct fuzz_destroy *fd, const struct event *ev,
			size_t at)
{
	size_t len = fd->b.len - at;

	encode_event(&fd->b, ev, NULL);
	encode_event(&fd->b, ev, &fuzz_uid0);
	if (fd->b.oom)
		return;
	if (fd->b.len - at != 2 * len ||
	    memcmp(fd->b.p + at, fd->b.p + at + len, len) != 0)
		abort();
	fd->b.len = at + len;
}

/* Encoded and matched as both readers, or abort on what cannot be. */
static void fuzz_event(struct fuzz_destroy *fd, const struct event *ev)
{
	static struct evq_item it;
	size_t at = fd->b.len;

	(void)event_match(fd->f, ev, NULL);
	(void)event_match(fd->f, ev, &fuzz_uid0);
	encode_event(&fd->b, ev, NULL);
	encode_event(&fd->b, ev, &fuzz_uid0);
	if (evq_push(&fd->q, ev, SIZE_MAX) < 0 || fd->b.oom)
		return;
	if (evq_pop(&fd->q, &it) != 1 || it.lost)
		abort();
	fuzz_queued(fd, &it.e, at);
}

static void fuzz_close(void *ctx, const struct destroy_event *d)
{
	struct fuzz_destroy *fd = ctx;
	struct event ev = { .kind = EVENT_CLOSE,
			    .source = EVENT_SRC_KERNEL,
			    .at_ms = fd->at_ms++,
			    .rec = d->rec,
			    .has_tcp = d->has_tcp,
			    .tcp = d->tcp };

	if ((d->rec.family != AF_INET && d->rec.family != AF_INET6) ||
	    (d->rec.proto != IPPROTO_TCP && d->rec.proto != IPPROTO_UDP) ||
	    (d->has_tcp && d->rec.proto != IPPROTO_TCP))
		abort();
	ev.rec.state = REC_CLOSE;
	fuzz_event(fd, &ev);
	(void)history_add(&fd->h, &ev);
}

/* What the log holds reads back as close events of what was heard. */
static void fuzz_history(struct fuzz_destroy *fd)
{
	struct event_proc procs[HISTORY_MAX_PROCS];
	uint64_t seq;

	for (seq = history_oldest(&fd->h); seq < fd->h.added; seq++) {
		const struct history_entry *e = history_get(&fd->h, seq);
		struct event ev;

		if (!e)
			abort();
		history_event(&fd->h, e, &ev, procs);
		if (ev.kind != EVENT_CLOSE)
			abort();
		fuzz_event(fd, &ev);
	}
}

int fuzz_destroy(const uint8_t *data, size_t size)
{
	struct filter_error err;
	struct fuzz_destroy fd = { .f = filter_parse(
					   "dport = :8080 or sport = :5353 "
					   "or proc x",
					   &err),
				   .at_ms = 1796292891807 };

	if (!fd.f || history_init(&fd.h, FUZZ_HISTORY, 0) < 0) {
		filter_free(fd.f);
		return 0;
	}
	(void)destroy_parse(data, size, fuzz_close, &fd);
	fuzz_history(&fd);
	if (!fd.b.oom)
		fuzz_json_lines(&fd.b);
	jbuf_free(&fd.b);
	evq_free(&fd.q);
	history_free(&fd.h);
	filter_free(fd.f);
	return 0;
}
