/* SPDX-License-Identifier: ISC */
/*
 * recording.c - a file's bytes as a picture. A recording is checked as
 * the server checks the poller's pictures; an ss -D dump goes through
 * the dump parser and the grouping the daemon uses, so that a support
 * engineer reads a customer's dump as sockwatchd would have shown it.
 */
#include "recording.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

/* ss -D writes one dump for each family it was asked for. */
#define RECORDING_MAX_DUMPS 2

__attribute__((format(printf, 3, 4))) static int
rec_bad(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -1;
}

const char *recording_format_name(enum recording_format f)
{
	return f == RECORDING_PICTURE ? "sockwatch recording" : "ss -D dump";
}

/* The netlink header at off, copied: the bytes need no alignment. */
static int rec_msg_at(const uint8_t *p, size_t len, size_t off,
		      struct nlmsghdr *h)
{
	if (len - off < sizeof(*h))
		return -1;
	memcpy(h, p + off, sizeof(*h));
	return h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len - off ? -1 : 0;
}

/* Whether the bytes start as a sock_diag reply does. */
static int rec_is_dump(const uint8_t *p, size_t len)
{
	struct nlmsghdr h;

	if (rec_msg_at(p, len, 0, &h) < 0)
		return 0;
	return h.nlmsg_type == SOCK_DIAG_BY_FAMILY ||
	       h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR;
}

/*
 * The bytes from off to the end of the dump's NLMSG_DONE, padding
 * included; 0 with why in err when a message is cut short or the file
 * ends before the NLMSG_DONE.
 */
static size_t rec_dump_len(const uint8_t *p, size_t len, size_t off, char *err,
			   size_t errsz)
{
	size_t at = off;
	struct nlmsghdr h;

	while (at < len) {
		size_t step;

		if (rec_msg_at(p, len, at, &h) < 0) {
			rec_bad(err, errsz,
				"the message at byte %zu is cut short or "
				"corrupt (a truncated file?)",
				at);
			return 0;
		}
		step = NLMSG_ALIGN(h.nlmsg_len);
		at += step < len - at ? step : len - at;
		if (h.nlmsg_type == NLMSG_DONE)
			return at - off;
	}
	rec_bad(err, errsz,
		"it ends at byte %zu inside a dump, before its NLMSG_DONE "
		"(a truncated file?)",
		len);
	return 0;
}

/* One dump's messages into res; -1 with why in err. */
static int rec_parse_dump(struct diag_result *res, const uint8_t *p, size_t len,
			  unsigned nth, char *err, size_t errsz)
{
	struct diag_parser dp = { res, IPPROTO_TCP, 0, 0 };

	if (diag_parse(&dp, p, len) >= 0)
		return 0;
	if (errno == ENOMEM)
		return rec_bad(err, errsz, "out of memory");
	if (errno == EBADMSG)
		return rec_bad(err, errsz,
			       "dump %u holds a malformed sock_diag message",
			       nth);
	return rec_bad(err, errsz, "dump %u ends with the kernel's error: %s",
		       nth, strerror(errno));
}

/* Every dump of an ss -D file into res. */
static int rec_parse_dumps(struct diag_result *res, const uint8_t *p,
			   size_t len, char *err, size_t errsz)
{
	size_t off = 0;
	unsigned n = 0;

	while (off < len) {
		size_t dlen = rec_dump_len(p, len, off, err, errsz);

		if (!dlen)
			return -1;
		if (++n > RECORDING_MAX_DUMPS)
			return rec_bad(err, errsz,
				       "it holds more than %d dumps; ss -D "
				       "writes one for each family",
				       RECORDING_MAX_DUMPS);
		if (rec_parse_dump(res, p + off, dlen, n, err, errsz) < 0)
			return -1;
		off += dlen;
	}
	return 0;
}

/* A dump's records grouped into a picture of their own. */
static int rec_from_dump(struct recording *r, const uint8_t *p, size_t len,
			 const struct recording_meta *m, char *err,
			 size_t errsz)
{
	struct diag_result res = { 0 };
	const struct picture_host host = { .name = m->host };
	struct picture_parts pp;
	int ret;

	ret = rec_parse_dumps(&res, p, len, err, errsz);
	if (ret == 0 && picture_parts_build(&pp, res.recs, res.n, &host) == 0) {
		/* ss -D dumps TCP alone */
		pp.h.flags |= PICTURE_F_UDP_UNAVAILABLE;
		pp.h.taken_sec = m->taken.tv_sec;
		pp.h.taken_nsec = (uint32_t)m->taken.tv_nsec;
		r->blob = picture_blob(&pp, &r->len);
		picture_parts_free(&pp);
	}
	if (ret == 0 && !r->blob)
		ret = rec_bad(err, errsz, "out of memory");
	if (ret == 0)
		ret = picture_open(&r->pic, r->blob, r->len, err, errsz);
	diag_result_free(&res);
	return ret;
}

int recording_read(struct recording *r, void *data, size_t len,
		   const struct recording_meta *m, char *err, size_t errsz)
{
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
		return rec_bad(err, errsz, "a sockwatch recording, but %s",
			       why);
	}
	r->format = RECORDING_SS_DUMP;
	if (!rec_is_dump(data, len)) {
		free(data);
		return rec_bad(err, errsz,
			       "neither a sockwatch recording (sockwatchctl "
			       "record) nor an ss -D dump");
	}
	if (rec_from_dump(r, data, len, m, why, sizeof(why)) < 0) {
		free(data);
		recording_free(r);
		return rec_bad(err, errsz, "an ss -D dump, but %s", why);
	}
	free(data);
	return 0;
}

void recording_free(struct recording *r)
{
	free(r->blob);
	memset(r, 0, sizeof(*r));
}
