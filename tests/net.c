/* SPDX-License-Identifier: ISC */
/* net.c - sockets made for real, and looked up in the daemon's output. */
#include "net.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

static socklen_t net_sockaddr(const char *ep, struct sockaddr_storage *ss)
{
	uint8_t family, addr[16];
	uint16_t port;

	ck_assert_msg(addr_parse(ep, &family, addr, &port) == 0, "bad %s", ep);
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, addr, 16);
	return sizeof(*sin6);
}

static int net_socket(const char *ep, int type, int flags, const char *dev,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	int one = 1, v6only = !!(flags & NET_V6ONLY), fd;

	*len = net_sockaddr(ep, ss);
	fd = socket(ss->ss_family, type, 0);
	ck_assert_int_ge(fd, 0);
	if (ss->ss_family == AF_INET6)
		ck_assert_int_eq(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
					    &v6only, sizeof(v6only)),
				 0);
	if (flags & NET_REUSEPORT)
		ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
					    sizeof(one)),
				 0);
	if (flags & NET_REUSEADDR)
		ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
					    sizeof(one)),
				 0);
	if (dev)
		ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE,
					    dev, (socklen_t)strlen(dev)),
				 0);
	return fd;
}

int net_listen(const char *ep, int backlog, int flags, const char *dev)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = net_socket(ep, SOCK_STREAM, flags, dev, &ss, &len);

	ck_assert_msg(bind(fd, (struct sockaddr *)&ss, len) == 0, "bind %s",
		      ep);
	ck_assert_int_eq(listen(fd, backlog), 0);
	return fd;
}

int net_connect(const char *ep, const char *bind_ep, int flags)
{
	struct sockaddr_storage ss, bs;
	socklen_t len, blen;
	int fd = net_socket(ep, SOCK_STREAM, flags, NULL, &ss, &len);

	if (bind_ep) {
		blen = net_sockaddr(bind_ep, &bs);
		ck_assert_msg(bind(fd, (struct sockaddr *)&bs, blen) == 0,
			      "bind %s", bind_ep);
	}
	ck_assert_msg(connect(fd, (struct sockaddr *)&ss, len) == 0,
		      "connect %s", ep);
	return fd;
}

int net_accept(int lfd)
{
	int fd = accept(lfd, NULL, NULL);

	ck_assert_int_ge(fd, 0);
	return fd;
}

int net_udp(const char *ep, const char *peer, int flags)
{
	struct sockaddr_storage ss, ps;
	socklen_t len, plen;
	int fd = net_socket(ep, SOCK_DGRAM, flags, NULL, &ss, &len);

	ck_assert_msg(bind(fd, (struct sockaddr *)&ss, len) == 0, "bind %s",
		      ep);
	if (peer) {
		plen = net_sockaddr(peer, &ps);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&ps, plen), 0);
	}
	return fd;
}

int net_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int ep_is(json_t *ep, const char *text)
{
	char buf[80];

	snprintf(buf, sizeof(buf), "%s:%lld",
		 json_string_value(json_object_get(ep, "addr")),
		 (long long)json_integer_value(json_object_get(ep, "port")));
	return strcmp(buf, text) == 0;
}

static json_t *net_find_in(json_t *arr, const char *local, const char *remote)
{
	size_t i;
	json_t *s;

	json_array_foreach (arr, i, s) {
		if (ep_is(json_object_get(s, "local"), local) &&
		    ep_is(json_object_get(s, "remote"), remote))
			return s;
	}
	return NULL;
}

json_t *net_find(json_t *doc, const char *proto, const char *local,
		 const char *remote, json_t **group, const char **member)
{
	static const char *const members[] = { "sockets", "connections" };
	size_t i, m;
	json_t *g, *s;

	json_array_foreach (json_object_get(doc, "groups"), i, g) {
		if (strcmp(json_string_value(json_object_get(g, "proto")),
			   proto) != 0)
			continue;
		for (m = 0; m < 2; m++) {
			s = net_find_in(json_object_get(g, members[m]), local,
					remote);
			if (!s)
				continue;
			*group = g;
			*member = members[m];
			return s;
		}
	}
	return NULL;
}

const char *net_group_name(json_t *g, char *buf, size_t size)
{
	json_t *ep = json_object_get(g, "endpoint");
	const char *dev = json_string_value(json_object_get(ep, "dev"));

	snprintf(buf, size, "%s %s %s:%lld%s%s",
		 json_string_value(json_object_get(g, "role")),
		 json_string_value(json_object_get(g, "proto")),
		 json_string_value(json_object_get(ep, "addr")),
		 (long long)json_integer_value(json_object_get(ep, "port")),
		 dev ? "%" : "", dev ? dev : "");
	return buf;
}

/* How many members of the document have this cookie. */
static size_t net_cookie_hits(json_t *doc, const char *cookie)
{
	static const char *const members[] = { "sockets", "connections" };
	size_t i, j, m, hits = 0;
	json_t *g, *s;

	json_array_foreach (json_object_get(doc, "groups"), i, g)
		for (m = 0; m < 2; m++)
			json_array_foreach (json_object_get(g, members[m]), j,
					    s)
				hits += strcmp(json_string_value(
						       json_object_get(
							       s, "cookie")),
					       cookie) == 0;
	return hits;
}

void net_expect_ss(json_t *doc, const char *ss)
{
	size_t i, total = 0, lines = 0;
	const char *p;
	json_t *g;
	char want[40];

	for (p = strstr(ss, "sk:"); p; p = strstr(p + 3, "sk:")) {
		size_t hits;

		snprintf(want, sizeof(want), "%.*s", (int)strcspn(p + 3, " \n"),
			 p + 3);
		hits = net_cookie_hits(doc, want);
		ck_assert_msg(hits == 1, "ss socket sk:%s appears %zu times",
			      want, hits);
		lines++;
	}
	json_array_foreach (json_object_get(doc, "groups"), i, g)
		total += json_array_size(json_object_get(g, "sockets")) +
			 json_array_size(json_object_get(g, "connections"));
	ck_assert_uint_eq(total, lines);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(doc, "totals"), "sockets")),
			 (json_int_t)lines);
}
