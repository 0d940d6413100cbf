/* SPDX-License-Identifier: ISC */
/* names.c - ss's names in a filter, resolved on the client side. */
#include "names.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "filter.h"
#include "jbuf.h"
#include "render.h"

/* What the next word is, after the word that names its kind. */
enum want { W_NONE, W_HOST, W_PORT, W_DEV, W_USER, W_UNIT, W_PROC };

/*
 * A host term worth resolving: starts with a letter, no '/', not one of
 * the words iproute2 reads as every address before it asks a resolver.
 */
static int is_name(const char *tok)
{
	return isalpha((unsigned char)tok[0]) && !strchr(tok, '/') &&
	       strcmp(tok, "any") != 0 && strcmp(tok, "all") != 0 &&
	       strcmp(tok, "default") != 0;
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

/* A port as written, ":http" or "ssh", made a number; as is otherwise. */
static void put_port(struct jbuf *b, const char *port)
{
	const struct servent *se;
	const char *name = port + (*port == ':');
	char num[8];
	char *end;

	strtol(name, &end, 0);
	if (!*name || !strcmp(name, "*") || (end != name && !*end)) {
		jbuf_puts(b, port);
		return;
	}
	se = getservbyname(name, "tcp");
	if (!se)
		se = getservbyname(name, "udp");
	if (!se) {
		jbuf_puts(b, port); /* the daemon will say it is none */
		return;
	}
	snprintf(num, sizeof(num), "%u", (unsigned)ntohs((uint16_t)se->s_port));
	jbuf_puts(b, *port == ':' ? ":" : "");
	jbuf_puts(b, num);
}

/*
 * A host term as ss splits it: "[v6]:port", "*:port", "addr[/len]:port"
 * or "name:port"; the name made an address, the port a number.
 */
static void put_host(struct jbuf *b, const char *tok, int family)
{
	const char *port;
	char name[256], text[INET6_ADDRSTRLEN];
	size_t hlen;
	int af;

	if (tok[0] == '[')
		port = strchr(tok, ']') ? strchr(tok, ']') + 1 : "";
	else if (tok[0] == '*')
		port = tok + 1;
	else
		port = strrchr(strchr(tok, '/') ? strchr(tok, '/') : tok, ':');
	if (!port)
		port = tok + strlen(tok);
	hlen = (size_t)(port - tok);
	snprintf(name, sizeof(name), "%.*s", (int)hlen, tok);
	af = is_name(name) ? first_addr(name, family, text, sizeof(text)) : -1;
	if (af < 0) {
		jbuf_put(b, tok, hlen);
	} else {
		jbuf_puts(b, af == AF_INET6 ? "[" : "");
		jbuf_puts(b, text);
		jbuf_puts(b, af == AF_INET6 ? "]" : "");
	}
	if (*port == ':')
		put_port(b, port);
	else
		jbuf_puts(b, port);
}

/*
 * The index a device of a file's picture had, 0 when it names none so;
 * "ifN", as a dump's listing names the devices it cannot name, is N.
 */
static unsigned names_file_dev(const struct picture *p, const char *name)
{
	unsigned idx;
	size_t i;
	char end;

	if (sscanf(name, "if%u%c", &idx, &end) == 1)
		return idx;
	for (i = 0; i < p->ndevs; i++) {
		const char *s = picture_str(p, p->devs[i].name);

		if (s && !strcmp(s, name))
			return p->devs[i].ifindex;
	}
	return 0;
}

/*
 * A device name made its index, this host's or the recording's; a
 * number, or a name unknown, as is.
 */
static void put_dev(struct jbuf *b, const char *tok, const struct picture *from)
{
	unsigned idx = from ? names_file_dev(from, tok) : if_nametoindex(tok);
	char num[16];

	if (!idx) {
		jbuf_puts(b, tok);
		return;
	}
	snprintf(num, sizeof(num), "%u", idx);
	jbuf_puts(b, num);
}

/* Whether a line of /proc/PID/cgroup has unit (or unit.service) in it. */
static int cgroup_has(const char *line, const char *unit)
{
	size_t n = strlen(unit);
	const char *p;

	for (p = strchr(line, '/'); p; p = strchr(p + 1, '/'))
		if (!strncmp(p + 1, unit, n) &&
		    (p[1 + n] == '/' || !p[1 + n] ||
		     !strncmp(p + 1 + n, ".service", 8)))
			return 1;
	return 0;
}

/* Whether a process of the host is named comm, or is in the unit. */
static int proc_has(const char *pid, enum want want, const char *name)
{
	char path[64], line[4096];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/%s", pid,
		 want == W_PROC ? "comm" : "cgroup");
	f = fopen(path, "re");
	if (!f)
		return 0; /* gone, or not ours to read */
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = want == W_PROC ? !strcmp(line, name)
				       : cgroup_has(line, name);
	}
	fclose(f);
	return found;
}

static int host_has(enum want want, const char *name)
{
	const struct dirent *d;
	int found = 0;
	DIR *dir;

	if (want == W_USER)
		return getpwnam(name) != NULL;
	dir = opendir("/proc");
	if (!dir)
		return 1; /* no way to know: no warning */
	while (!found && (d = readdir(dir)))
		found = isdigit((unsigned char)d->d_name[0]) &&
			proc_has(d->d_name, want, name);
	closedir(dir);
	return found;
}

/* Whether a holder in a file's picture has the name: command, user, unit. */
static int names_file_has(const struct picture *p, enum want want,
			  const char *name)
{
	size_t i;

	for (i = 0; i < p->nprocs; i++) {
		const struct picture_proc *pr = &p->procs[i];
		const char *s = picture_str(p, want == W_PROC	? pr->comm
					       : want == W_USER ? pr->user
								: pr->unit);

		if (s && (want == W_UNIT ? filter_unit_is(s, name)
					 : !strcmp(s, name)))
			return 1;
	}
	return 0;
}

/*
 * A name after user, unit or proc that nothing on the host (or in the
 * file read instead) has: the answer is still given (empty, for that
 * term), with a line saying why, kinder to a script than lsof's error.
 */
static void warn_unknown(enum want want, const char *name,
			 const struct picture *from)
{
	const char *safe = render_safe(name);
	const char *where = from ? "in the file" : "of this host";

	if (from && !from->owner_at) {
		warnx("the file names no processes (an ss -D dump, or a "
		      "daemon run with --no-processes): \"%s\" matches "
		      "nothing",
		      safe);
		return;
	}
	/* a uid needs no name: a dynamic user may have none */
	if (want == W_USER && strspn(name, "0123456789") == strlen(name))
		return;
	if (from ? names_file_has(from, want, name) : host_has(want, name))
		return;
	if (want == W_USER && !from)
		warnx("no user is named \"%s\" on this host", safe);
	else if (want == W_USER)
		warnx("no process %s is of a user \"%s\"", where, safe);
	else if (want == W_UNIT)
		warnx("no process %s is in a unit \"%s\"", where, safe);
	else
		warnx("no process %s is named \"%s\"", where, safe);
}

/* Words that may come between a kind and its value. */
static int is_op(const char *tok, enum want want)
{
	static const char *const ops[] = { "=",	 "==", "eq", "!=", "ne",
					   ">",	 "gt", "<",  "lt", ">=",
					   "ge", "<=", "le" };
	/* the daemon takes = alone after src, dst, user, unit and proc */
	size_t i, n = want == W_PORT ? 13 : want == W_DEV ? 5 : 3;

	for (i = 0; i < n; i++)
		if (!strcmp(tok, ops[i]))
			return 1;
	return 0;
}

static enum want want_after(const char *tok)
{
	if (!strcmp(tok, "src") || !strcmp(tok, "dst"))
		return W_HOST;
	if (!strcmp(tok, "sport") || !strcmp(tok, "dport"))
		return W_PORT;
	if (!strcmp(tok, "user"))
		return W_USER;
	if (!strcmp(tok, "unit"))
		return W_UNIT;
	if (!strcmp(tok, "proc"))
		return W_PROC;
	return !strcmp(tok, "dev") ? W_DEV : W_NONE;
}

char *names_expand(const char *filter, int family, const struct picture *from)
{
	struct jbuf b = { 0 };
	char *copy, *tok, *save = NULL;
	enum want want = W_NONE;

	if (!filter)
		return NULL;
	copy = strdup(filter);
	if (!copy)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	for (tok = strtok_r(copy, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (b.len)
			jbuf_put(&b, " ", 1);
		if (want != W_NONE && is_op(tok, want)) {
			jbuf_puts(&b, tok);
			continue;
		}
		if (want == W_HOST)
			put_host(&b, tok, family);
		else if (want == W_PORT)
			put_port(&b, tok);
		else if (want == W_DEV)
			put_dev(&b, tok, from);
		else
			jbuf_puts(&b, tok);
		if (want >= W_USER)
			warn_unknown(want, tok, from);
		want = want == W_NONE ? want_after(tok) : W_NONE;
	}
	jbuf_put(&b, "", 1);
	free(copy);
	if (b.oom)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	return b.p;
}
