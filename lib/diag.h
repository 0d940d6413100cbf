/* SPDX-License-Identifier: ISC */
/* diag.h - the kernel's sock_diag dumps of TCP and UDP, as records. */
#ifndef SOCKWATCH_DIAG_H
#define SOCKWATCH_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include "sockrec.h"

#define DIAG_UDP_UNAVAILABLE 0x01 /* the kernel has no UDP sock_diag */

/* What a dump asks the kernel for. */
enum diag_what {
	DIAG_ALL,	/* every socket ss lists */
	DIAG_LISTENERS, /* TCP LISTEN and unconnected UDP: the cheap dump */
};

/*
 * A growable array of records; the caller owns recs. With grow set, the
 * array grows by it (into memory of the caller's: a picture's memfd,
 * say) instead of realloc: it makes room for at least need records, or
 * returns -1.
 */
struct diag_result {
	struct sock_rec *recs;
	size_t n;
	size_t cap;
	unsigned flags;	  /* DIAG_* */
	unsigned retries; /* dumps redone after ENOBUFS or NLM_F_DUMP_INTR */
	int (*grow)(struct diag_result *res, size_t need, void *ctx);
	void *grow_ctx;
};

/* Parser state for one dump, fed one received buffer at a time. */
struct diag_parser {
	struct diag_result *res;
	uint8_t proto;	 /* the protocol asked for; messages do not carry it */
	unsigned seq;	 /* 0 skips sequence checks (recorded dumps) */
	unsigned portid; /* 0 skips port id checks */
	/* the replies' message type: 0 for SOCK_DIAG_BY_FAMILY; an old
	 * ss's dump has TCPDIAG_GETSOCK's, whose payload is the same */
	uint16_t type;
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
 * DIAG_LISTENERS costs the kernel a walk of its listening hash, not of
 * every connection.
 */
int diag_dump(struct diag *d, struct diag_result *res, enum diag_what what);

/*
 * Parses one received buffer of a dump. Returns 1 when more is to come,
 * 0 at the end of the dump, -1 with errno on a kernel error or a bad
 * message (EBADMSG), EINTR when the kernel flagged NLM_F_DUMP_INTR.
 */
int diag_parse(struct diag_parser *p, const void *buf, size_t len);

/* Writes a dump request for family x proto into buf (>= 128 bytes). */
size_t diag_request(void *buf, uint8_t family, uint8_t proto, unsigned seq,
		    enum diag_what what);

struct nlmsghdr;

/*
 * One sock_diag message of protocol proto as a record, the fields a dump
 * gives (the kernel's destroy messages have the same shape). Returns 0,
 * or -1 with errno EBADMSG.
 */
int diag_msg_rec(const struct nlmsghdr *nlh, uint8_t proto, struct sock_rec *r);

/*
 * Whether buf is whole netlink messages and nothing else: libmnl stops
 * quietly at a torn one, which must be refused instead.
 */
int diag_whole(const void *buf, size_t len);

/* Frees the records of a result and zeroes it. */
void diag_result_free(struct diag_result *res);

#endif
