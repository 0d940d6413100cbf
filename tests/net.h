/* SPDX-License-Identifier: ISC */
/* net.h - real sockets on loopback for the integration tests. */
#ifndef SOCKWATCH_TEST_NET_H
#define SOCKWATCH_TEST_NET_H

#include <jansson.h>

#define NET_V6ONLY 0x01
#define NET_REUSEPORT 0x02
#define NET_REUSEADDR 0x04

/* A TCP listener on "addr:port" / "[addr]:port", optionally on dev. */
int net_listen(const char *ep, int backlog, int flags, const char *dev);

/* A connected TCP client, bound first to bind_ep when not NULL. */
int net_connect(const char *ep, const char *bind_ep, int flags);

/* Accepts one connection (blocking). */
int net_accept(int lfd);

/* A UDP socket bound to ep, connected to peer when not NULL. */
int net_udp(const char *ep, const char *peer, int flags);

/* The local port of a socket. */
int net_port(int fd);

/*
 * Finds the socket with these local and remote endpoints ("addr:port",
 * as the JSON spells the address) in a sockwatch/1 document; sets *group
 * to its group and *member to "sockets" or "connections". NULL if none.
 */
json_t *net_find(json_t *doc, const char *proto, const char *local,
		 const char *remote, json_t **group, const char **member);

/*
 * Every socket ss printed (its -e "sk:" cookies) is in the document
 * exactly once, and the document has no other; fails the test if not.
 */
void net_expect_ss(json_t *doc, const char *ss);

/* "role proto addr:port" of a group, for messages and comparisons. */
const char *net_group_name(json_t *group, char *buf, size_t size);

#endif
