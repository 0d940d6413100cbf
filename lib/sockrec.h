/* SPDX-License-Identifier: ISC */
/* sockrec.h - one socket as the kernel reported it, as a plain record. */
#ifndef SOCKWATCH_SOCKREC_H
#define SOCKWATCH_SOCKREC_H

#include <stddef.h>
#include <stdint.h>

/* Kernel TCP states (include/net/tcp_states.h); UDP reuses CLOSE/ESTAB. */
enum rec_state {
	REC_ESTABLISHED = 1,
	REC_SYN_SENT,
	REC_SYN_RECV,
	REC_FIN_WAIT1,
	REC_FIN_WAIT2,
	REC_TIME_WAIT,
	REC_CLOSE,
	REC_CLOSE_WAIT,
	REC_LAST_ACK,
	REC_LISTEN,
	REC_CLOSING,
	REC_NEW_SYN_RECV,
	REC_STATE_MAX
};

/*
 * What a socket is counted as in a group's "counts": its state, but a
 * UDP socket is "unconnected" or "established" by its remote end, and a
 * request socket counts as syn-recv. In the order "counts" lists them.
 */
enum rec_tally {
	REC_T_LISTEN,
	REC_T_UNCONNECTED,
	REC_T_SYN_SENT,
	REC_T_SYN_RECV,
	REC_T_ESTABLISHED,
	REC_T_FIN_WAIT1,
	REC_T_FIN_WAIT2,
	REC_T_CLOSE_WAIT,
	REC_T_CLOSING,
	REC_T_LAST_ACK,
	REC_T_TIME_WAIT,
	REC_T_CLOSE,
	REC_NTALLY
};

#define REC_F_V6ONLY 0x01 /* IPV6_V6ONLY set on an AF_INET6 socket */
/*
 * Not a full socket: a TIME-WAIT one (the kernel's timer 3; its state
 * may say FIN-WAIT-2) or a request socket (SYN-RECV). Neither is ever
 * told destroyed; a TIME-WAIT one keeps the cookie of the full socket
 * it replaced.
 */
#define REC_F_MINI 0x02

/*
 * Kept small on purpose: a busy host holds hundreds of thousands of these
 * per snapshot. Addresses are in network byte order, 4 bytes used for
 * AF_INET; ports are in host byte order.
 */
struct sock_rec {
	uint8_t proto;	/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t state;	/* enum rec_state */
	uint8_t flags;	/* REC_F_* */
	uint16_t lport;
	uint16_t rport;
	uint32_t ifindex; /* bound device, 0 for none */
	uint32_t inode;
	uint32_t uid;
	uint32_t rqueue;
	uint32_t wqueue;
	uint64_t cookie;
	uint8_t laddr[16];
	uint8_t raddr[16];
};

/* ss's filter word for a kernel state number, NULL when out of range. */
const char *rec_state_word(unsigned state);

/* True for a socket that names an endpoint: TCP LISTEN, unconnected UDP. */
int rec_is_listener(const struct sock_rec *r);

/* True when the remote address and port are all zero. */
int rec_remote_unset(const struct sock_rec *r);

/* What r is counted as (enum rec_tally). */
unsigned rec_tally(const struct sock_rec *r);

/* Address length in bytes for a family (4 or 16). */
size_t rec_addr_len(uint8_t family);

/* Writes the text form of an address (inet_ntop) into buf (>= 46 bytes). */
const char *rec_addr_text(uint8_t family, const uint8_t *addr, char *buf);

#endif
