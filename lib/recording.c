/* SPDX-License-Identifier: ISC */
/*
 * recording.c - a file's bytes as a picture. A recording is checked as
 * the server checks the poller's pictures; an ss -D dump goes through
 * the dump parser and the grouping the daemon uses, so that a support
 * engineer reads a customer's dump as sockwatchd would have shown it.
 * A file is a stranger's: whatever does not hold together is refused,
 * saying what and at which byte, rather than listed in part.
 */
#include "recording.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

__attribute__((format(printf, 3, 4))) static int rf_bad(char *err, size_t errsz,
							const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -1;
}

/* The netlink header at off, copied: the bytes need no alignment. */
static int rf_msg_at(const uint8_t *p, size_t len, size_t off,
		     struct nlmsghdr *h)
{
	if (len - off < sizeof(*h))
		return -1;
	memcpy(h, p + off, sizeof(*h));
	return h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len - off ? -1 : 0;
}

/*
 * The type of the replies, when the bytes start as a dump does: ss asks
 * with SOCK_DIAG_BY_FAMILY, or on kernels before 3.3 TCPDIAG_GETSOCK.
 * 0 when they do not.
 */
static uint16_t rf_dump_type(const uint8_t *p, size_t len)
{
	struct nlmsghdr h;

	if (rf_msg_at(p, len, 0, &h) < 0)
		return 0;
	if (h.nlmsg_type == TCPDIAG_GETSOCK)
		return TCPDIAG_GETSOCK;
	return h.nlmsg_type == SOCK_DIAG_BY_FAMILY ||
			       h.nlmsg_type == NLMSG_DONE ||
			       h.nlmsg_type == NLMSG_ERROR
		       ? SOCK_DIAG_BY_FAMILY
		       : 0;
}

/* One dump of the file: its bytes, and the message that ended it. */
struct rf_dump {
	size_t off, len;
	uint16_t last; /* NLMSG_DONE, or NLMSG_ERROR: the kernel's word */
	size_t last_at;
};

/*
 * The dump from d->off to its end (NLMSG_DONE, or the kernel's error),
 * padding included, every message of the replies' type; -1 with why.
 */
static int rf_dump_next(struct rf_dump *d, const uint8_t *p, size_t len,
			uint16_t type, char *err, size_t errsz)
{
	size_t at = d->off;
	struct nlmsghdr h;

	while (at < len) {
		size_t step;

		if (rf_msg_at(p, len, at, &h) < 0)
			return rf_bad(err, errsz,
				      "the message at byte %zu is cut short or "
				      "corrupt (a truncated file?)",
				      at);
		if (h.nlmsg_type != type && h.nlmsg_type != NLMSG_DONE &&
		    h.nlmsg_type != NLMSG_ERROR)
			return rf_bad(err, errsz,
				      "the message at byte %zu is of type %u, "
				      "which no sock_diag dump holds",
				      at, (unsigned)h.nlmsg_type);
		step = NLMSG_ALIGN(h.nlmsg_len);
		d->last_at = at;
		at += step < len - at ? step : len - at;
		if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR) {
			d->len = at - d->off;
			d->last = h.nlmsg_type;
			return 0;
		}
	}
	return rf_bad(err, errsz,
		      "it ends at byte %zu inside a dump, before its "
		      "NLMSG_DONE (a truncated file?)",
		      len);
}

/* One dump's messages into res; -1 with why in err. */
static int rf_parse_dump(struct diag_result *res, const uint8_t *p,
			 const struct rf_dump *d, uint16_t type, unsigned nth,
			 char *err, size_t errsz)
{
	struct diag_parser dp = { res, IPPROTO_TCP, 0, 0, type };

	if (diag_parse(&dp, p + d->off, d->len) >= 0) {
		if (d->last == NLMSG_DONE)
			return 0;
		return rf_bad(err, errsz,
			      "dump %u ends at byte %zu with an "
			      "acknowledgement, not its NLMSG_DONE",
			      nth, d->last_at);
	}
	if (errno == ENOMEM)
		return rf_bad(err, errsz, "out of memory");
	if (errno == EINTR)
		return rf_bad(err, errsz,
			      "dump %u was interrupted: the kernel's socket "
			      "table changed while ss read it; take it again",
			      nth);
	if (errno == EBADMSG)
		return rf_bad(err, errsz,
			      "dump %u holds a malformed sock_diag message",
			      nth);
	return rf_bad(err, errsz,
		      "dump %u ends at byte %zu with the kernel's error: %s",
		      nth, d->last_at, strerror(errno));
}

/*
 * ss -D dumps each family once, a family's sockets alone, in states
 * Linux has: a file with more is none that ss wrote whole.
 */
static int rf_check_dump(const struct diag_result *res, size_t from,
			 unsigned *families, unsigned nth, char *err,
			 size_t errsz)
{
	unsigned fam;
	size_t i;

	if (from == res->n)
		return 0;
	fam = res->recs[from].family == AF_INET ? 1 : 2;
	if (*families & fam)
		return rf_bad(err, errsz,
			      "dump %u is of IPv%c again; ss -D writes one "
			      "dump for each family",
			      nth, fam == 1 ? '4' : '6');
	*families |= fam;
	for (i = from; i < res->n; i++) {
		if (res->recs[i].family != res->recs[from].family)
			return rf_bad(err, errsz,
				      "dump %u mixes IPv4 and IPv6 sockets",
				      nth);
		if (!res->recs[i].state || res->recs[i].state >= REC_STATE_MAX)
			return rf_bad(err, errsz,
				      "dump %u has a socket in state %u, "
				      "which Linux has none of",
				      nth, (unsigned)res->recs[i].state);
	}
	return 0;
}

/* Every dump of an ss -D file into res. */
static int rf_parse_dumps(struct diag_result *res, const uint8_t *p, size_t len,
			  uint16_t type, char *err, size_t errsz)
{
	struct rf_dump d = { 0 };
	unsigned n = 0, families = 0;

	for (; d.off < len; d.off += d.len) {
		size_t from = res->n;

		if (rf_dump_next(&d, p, len, type, err, errsz) < 0 ||
		    rf_parse_dump(res, p, &d, type, ++n, err, errsz) < 0 ||
		    rf_check_dump(res, from, &families, n, err, errsz) < 0)
			return -1;
	}
	return 0;
}

/* A dump's records grouped into a picture of their own. */
static int rf_picture(struct recording *r, const struct diag_result *res,
		      const struct timespec *taken, char *err, size_t errsz)
{
	const struct picture_host host = { .name = "" };
	struct picture_parts pp;

	if (picture_parts_build(&pp, res->recs, res->n, &host) < 0)
		return rf_bad(err, errsz, "out of memory");
	/* ss -D dumps TCP alone */
	pp.h.flags |= PICTURE_F_UDP_UNAVAILABLE;
	pp.h.taken_sec = taken->tv_sec > 0 ? taken->tv_sec : 0;
	pp.h.taken_nsec = taken->tv_sec > 0 ? (uint32_t)taken->tv_nsec : 0;
	r->blob = picture_blob(&pp, &r->len);
	picture_parts_free(&pp);
	if (!r->blob)
		return rf_bad(err, errsz, "out of memory");
	return picture_open(&r->pic, r->blob, r->len, err, errsz);
}

/* The dump is freed once parsed: its records are what is kept. */
static int rf_from_dump(struct recording *r, void *data, size_t len,
			uint16_t type, const struct timespec *taken, char *err,
			size_t errsz)
{
	struct diag_result res = { 0 };
	int ret;

	ret = rf_parse_dumps(&res, data, len, type, err, errsz);
	free(data);
	if (ret == 0)
		ret = rf_picture(r, &res, taken, err, errsz);
	diag_result_free(&res);
	return ret;
}

int recording_read(struct recording *r, void *data, size_t len,
		   const struct timespec *taken, char *err, size_t errsz)
{
	uint16_t type = rf_dump_type(data, len);
	char why[160];

	memset(r, 0, sizeof(*r));
	if (len >= sizeof(PICTURE_MAGIC) - 1 &&
	    !memcmp(data, PICTURE_MAGIC, sizeof(PICTURE_MAGIC) - 1)) {
		r->format = RECORDING_PICTURE;
		r->blob = data;
		r->len = len;
		if (picture_open(&r->pic, data, len, why, sizeof(why)) == 0)
			return 0;
		recording_free(r);
		return rf_bad(err, errsz, "a sockwatch recording, but %s", why);
	}
	r->format = RECORDING_SS_DUMP;
	if (!type) {
		free(data);
		return rf_bad(err, errsz,
			      "neither a sockwatch recording (sockwatchctl "
			      "record) nor an ss -D dump");
	}
	if (rf_from_dump(r, data, len, type, taken, why, sizeof(why)) < 0) {
		recording_free(r);
		return rf_bad(err, errsz, "an ss -D dump, but %s", why);
	}
	return 0;
}

void recording_free(struct recording *r)
{
	free(r->blob);
	memset(r, 0, sizeof(*r));
}
