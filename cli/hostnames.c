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

/* "( dir ADDR:PORT or dir [ADDR6]:PORT ... )" for every address. */
static int expand(struct jbuf *b, const char *dir, const char *tok)
{
	char name[256], text[INET6_ADDRSTRLEN];
	const char *colon = strchr(tok, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *a;
	int n = 0;

	snprintf(name, sizeof(name), "%.*s",
		 (int)(colon ? (size_t)(colon - tok) : strlen(tok)), tok);
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return -1;
	jbuf_puts(b, "( ");
	for (a = res; a; a = a->ai_next) {
		const void *addr =
			a->ai_family == AF_INET
				? (const void *)&(
					  (struct sockaddr_in *)a->ai_addr)
					  ->sin_addr
				: (const void *)&(
					  (struct sockaddr_in6 *)a->ai_addr)
					  ->sin6_addr;

		if (!inet_ntop(a->ai_family, addr, text, sizeof(text)))
			continue;
		jbuf_puts(b, n++ ? " or " : "");
		jbuf_puts(b, dir);
		jbuf_puts(b, a->ai_family == AF_INET6 ? " [" : " ");
		jbuf_puts(b, text);
		jbuf_puts(b, a->ai_family == AF_INET6 ? "]" : "");
		if (colon)
			jbuf_puts(b, colon);
	}
	jbuf_puts(b, " )");
	freeaddrinfo(res);
	return n ? 0 : -1;
}

char *hostnames_expand(const char *filter)
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
			if (expand(&b, dir, tok) == 0) {
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
