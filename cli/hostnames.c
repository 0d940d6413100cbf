/* SPDX-License-Identifier: ISC */
/* hostnames.c - ss's "src localhost", resolved on the client side. */
#include "hostnames.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <err.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "jbuf.h"

/* A host term worth resolving: starts with a letter, no '[', no '/'. */
static int is_name(const char *tok)
{
	return isalpha((unsigned char)tok[0]) && !strchr(tok, '/');
}

/*
 * The one address ss matches for name. ss asks gethostbyname2() for
 * IPv4 (or for the family of its -4/-6, the last given), then, with
 * neither, for IPv6, and lists all it got; but its kernel filter is
 * compiled from the first entry alone, so only that address matches.
 * gethostbyname2(), not getaddrinfo(): glibc answers an IPv4 lookup of a
 * name that /etc/hosts gives only as ::1 with 127.0.0.1, as ss sees it.
 */
static int first_addr(const char *name, int family, char *text, size_t size)
{
	const int order[2] = { family == AF_INET6 ? AF_INET6 : AF_INET,
			       family == AF_UNSPEC ? AF_INET6 : AF_UNSPEC };
	size_t i;

	for (i = 0; i < 2 && order[i] != AF_UNSPEC; i++) {
		const struct hostent *he = gethostbyname2(name, order[i]);

		if (he && he->h_addr_list[0])
			return inet_ntop(he->h_addrtype, he->h_addr_list[0],
					 text, (socklen_t)size)
				       ? he->h_addrtype
				       : -1;
	}
	return -1;
}

/* "dir ADDR[:PORT]" or "dir [ADDR6][:PORT]" for the address of tok. */
static int expand(struct jbuf *b, const char *dir, const char *tok, int family)
{
	char name[256], text[INET6_ADDRSTRLEN];
	const char *colon = strchr(tok, ':');
	int af;

	snprintf(name, sizeof(name), "%.*s",
		 (int)(colon ? (size_t)(colon - tok) : strlen(tok)), tok);
	af = first_addr(name, family, text, sizeof(text));
	if (af < 0)
		return -1;
	jbuf_puts(b, dir);
	jbuf_puts(b, af == AF_INET6 ? " [" : " ");
	jbuf_puts(b, text);
	jbuf_puts(b, af == AF_INET6 ? "]" : "");
	if (colon)
		jbuf_puts(b, colon);
	return 0;
}

char *hostnames_expand(const char *filter, int family)
{
	struct jbuf b = { 0 };
	char *copy, *tok, *save = NULL;
	const char *dir = NULL;
	size_t dir_mark = 0; /* where "src"/"dst" began, to be replaced */

	if (!filter)
		return NULL;
	copy = strdup(filter);
	if (!copy)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	for (tok = strtok_r(copy, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		size_t mark = b.len;

		if (dir && is_name(tok)) {
			b.len = dir_mark;
			if (b.len)
				jbuf_put(&b, " ", 1);
			if (expand(&b, dir, tok, family) == 0) {
				dir = NULL;
				continue;
			}
			b.len = mark; /* unresolved: the daemon will say so */
		}
		if (b.len)
			jbuf_put(&b, " ", 1);
		if (!strcmp(tok, "src") || !strcmp(tok, "dst")) {
			dir = tok;
			dir_mark = mark;
		} else if (strcmp(tok, "=") != 0 && strcmp(tok, "==") != 0 &&
			   strcmp(tok, "eq") != 0) {
			dir = NULL;
		}
		jbuf_puts(&b, tok);
	}
	jbuf_put(&b, "", 1);
	free(copy);
	if (b.oom)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	return b.p;
}
