/* SPDX-License-Identifier: ISC */
/* sockrec.c - naming of socket records. */
#include "sockrec.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* The words ss accepts in "state X" filters, indexed by kernel state. */
static const char *const state_words[REC_STATE_MAX] = {
	[0] = "close", /* not a kernel state; named so no lookup gives NULL */
	[REC_ESTABLISHED] = "established",
	[REC_SYN_SENT] = "syn-sent",
	[REC_SYN_RECV] = "syn-recv",
	[REC_FIN_WAIT1] = "fin-wait-1",
	[REC_FIN_WAIT2] = "fin-wait-2",
	[REC_TIME_WAIT] = "time-wait",
	[REC_CLOSE] = "close",
	[REC_CLOSE_WAIT] = "close-wait",
	[REC_LAST_ACK] = "last-ack",
	[REC_LISTEN] = "listen",
	[REC_CLOSING] = "closing",
	/* A request socket is what ss and users call SYN-RECV. */
	[REC_NEW_SYN_RECV] = "syn-recv",
};

const char *rec_state_word(unsigned state)
{
	if (state >= REC_STATE_MAX)
		return NULL;
	return state_words[state];
}

int rec_remote_unset(const struct sock_rec *r)
{
	static const uint8_t zero[16];

	return r->rport == 0 &&
	       memcmp(r->raddr, zero, rec_addr_len(r->family)) == 0;
}

int rec_is_listener(const struct sock_rec *r)
{
	if (r->proto == IPPROTO_TCP)
		return r->state == REC_LISTEN;
	return rec_remote_unset(r);
}

unsigned rec_tally(const struct sock_rec *r)
{
	static const uint8_t of_state[REC_STATE_MAX] = {
		[0] = REC_T_CLOSE,
		[REC_LISTEN] = REC_T_LISTEN,
		[REC_SYN_SENT] = REC_T_SYN_SENT,
		[REC_SYN_RECV] = REC_T_SYN_RECV,
		[REC_NEW_SYN_RECV] = REC_T_SYN_RECV,
		[REC_ESTABLISHED] = REC_T_ESTABLISHED,
		[REC_FIN_WAIT1] = REC_T_FIN_WAIT1,
		[REC_FIN_WAIT2] = REC_T_FIN_WAIT2,
		[REC_CLOSE_WAIT] = REC_T_CLOSE_WAIT,
		[REC_CLOSING] = REC_T_CLOSING,
		[REC_LAST_ACK] = REC_T_LAST_ACK,
		[REC_TIME_WAIT] = REC_T_TIME_WAIT,
		[REC_CLOSE] = REC_T_CLOSE,
	};

	if (r->proto == IPPROTO_UDP)
		return rec_remote_unset(r) ? REC_T_UNCONNECTED
					   : REC_T_ESTABLISHED;
	return r->state < REC_STATE_MAX ? of_state[r->state] : REC_T_CLOSE;
}

size_t rec_addr_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

const char *rec_addr_text(uint8_t family, const uint8_t *addr, char *buf)
{
	if (!inet_ntop(family, addr, buf, INET6_ADDRSTRLEN))
		memcpy(buf, "?", 2);
	return buf;
}
