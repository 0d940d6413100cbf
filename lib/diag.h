/* SPDX-License-Identifier: ISC */
/* diag.h - the kernel's sock_diag dumps of TCP and UDP, as records. */
#ifndef SOCKWATCH_DIAG_H
#define SOCKWATCH_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include "sockrec.h"

#define DIAG_UDP_UNAVAILABLE 0x01 /* the kernel has no UDP sock_diag */

/* A growable array of records; the caller owns recs. */
struct diag_result {
	struct sock_rec *recs;
	size_t n;
	size_t cap;
	unsigned flags;	  /* DIAG_* */
	unsigned retries; /* dumps redone after ENOBUFS or NLM_F_DUMP_INTR */
};

/* Parser state for one dump, fed one received buffer at a time. */
struct diag_parser {
	struct diag_result *res;
	uint8_t proto;	 /* the protocol asked for; messages do not carry it */
	unsigned seq;	 /* 0 skips sequence checks (recorded dumps) */
	unsigned portid; /* 0 skips port id checks */
};

struct diag;

/* Opens a NETLINK_SOCK_DIAG socket; NULL with errno on failure. */
struct diag *diag_open(void);

/* Closes the socket and frees its buffer. */
void diag_close(struct diag *d);

/*
 * Dumps TCP and UDP for IPv4 and IPv6 into res (res->n reset to 0, the
 * array reused). Returns 0, or -1 with errno. A kernel without UDP
 * diag sets DIAG_UDP_UNAVAILABLE and still returns the TCP sockets.
 */
int diag_dump(struct diag *d, struct diag_result *res);

/*
 * Parses one received buffer of a dump. Returns 1 when more is to come,
 * 0 at the end of the dump, -1 with errno on a kernel error or a bad
 * message (EBADMSG), EINTR when the kernel flagged NLM_F_DUMP_INTR.
 */
int diag_parse(struct diag_parser *p, const void *buf, size_t len);

/* Writes a dump request for family x proto into buf (>= 128 bytes). */
size_t diag_request(void *buf, uint8_t family, uint8_t proto, unsigned seq);

/* Frees the records of a result and zeroes it. */
void diag_result_free(struct diag_result *res);

#endif
