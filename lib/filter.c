/* SPDX-License-Identifier: ISC */
/* filter.c - a recursive-descent parser of ss's filter language. */
#include "filter.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define FILTER_MAX_DEPTH 200 /* nested parentheses and nots */
#define FILTER_MAX_NODES 4096

/* ss's state bits: kernel TCP state numbers, as ss numbers them. */
#define ST(s) (1u << (s))
#define ST_ALL ((1u << REC_NEW_SYN_RECV) - 2) /* states 1 .. 11 */

enum node_kind {
	N_AND,
	N_OR,
	N_NOT,
	N_SRC, /* local address and port */
	N_DST, /* remote address and port */
	N_SGE, /* local port >= */
	N_SLE,
	N_DGE, /* remote port >= */
	N_DLE,
	N_DEV,
	/* sockwatch's own terms */
	N_ROLE,	 /* port: 1 outbound, 0 listen */
	N_LOCAL, /* an outbound group a listener of this host serves */
	N_PROC,	 /* name */
	N_PID,	 /* port: the pid */
	N_USER,	 /* name, or port: the uid */
	N_UNIT,	 /* name, with or without .service */
	N_QUEUE, /* port: N, bits: the comparison */
	N_PROTO, /* port: IPPROTO_TCP or IPPROTO_UDP */
	N_FAMILY /* port: AF_INET or AF_INET6 */
};

enum cmp_op { OP_EQ, OP_NE, OP_GT, OP_LT, OP_GE, OP_LE };

struct node {
	enum node_kind kind;
	struct node *a, *b;
	struct node *all; /* every node of a filter, for freeing */
	int port;	  /* -1: any */
	int family;	  /* of addr, AF_UNSPEC for none */
	int bits;	  /* prefix length, 0: any address */
	uint8_t addr[16];
	uint32_t ifindex;
	char name[128];
};

struct filter {
	unsigned states;
	struct node *root;  /* NULL: everything */
	struct node *nodes; /* the chain through node.all */
	size_t nnodes;
};

/* The tokens, and where each starts in the text. */
struct lexer {
	const char *text;
	const char *tok; /* current token, NUL-terminated copy */
	size_t col;
	size_t pos;
	char buf[256];
	int depth;
	struct filter *f;
	struct filter_error *err;
	int failed;
	int nomem;
};

static void lex_next(struct lexer *lx)
{
	const char *t = lx->text;
	size_t i = lx->pos, n = 0;

	while (t[i] && isspace((unsigned char)t[i]))
		i++;
	lx->col = i + 1;
	while (t[i] && !isspace((unsigned char)t[i])) {
		if (n + 1 < sizeof(lx->buf))
			lx->buf[n++] = t[i];
		i++;
	}
	lx->buf[n] = '\0';
	lx->pos = i;
	lx->tok = n ? lx->buf : NULL;
}

static int is(const struct lexer *lx, const char *const *words)
{
	for (; lx->tok && *words; words++)
		if (strcmp(lx->tok, *words) == 0)
			return 1;
	return 0;
}

static const char *const w_and[] = { "&", "&&", "and", NULL };
static const char *const w_or[] = { "|", "||", "or", NULL };
static const char *const w_not[] = { "!", "not", NULL };
static const char *const w_eq[] = { "=", "==", "eq", NULL };
static const char *const w_ne[] = { "!=", "ne", "neq", NULL };
static const char *const w_ge[] = { ">=", "ge", "geq", NULL };
static const char *const w_le[] = { "<=", "le", "leq", NULL };
static const char *const w_gt[] = { ">", "gt", NULL };
static const char *const w_lt[] = { "<", "lt", NULL };

static void *fail(struct lexer *lx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void *fail(struct lexer *lx, const char *fmt, ...)
{
	va_list ap;

	if (lx->failed++)
		return NULL;
	lx->err->column = lx->col;
	snprintf(lx->err->token, sizeof(lx->err->token), "%s",
		 lx->tok ? lx->tok : "(end)");
	va_start(ap, fmt);
	vsnprintf(lx->err->message, sizeof(lx->err->message), fmt, ap);
	va_end(ap);
	return NULL;
}

static struct node *node_new(struct lexer *lx, enum node_kind kind,
			     struct node *a, struct node *b)
{
	struct node *n;

	if (lx->f->nnodes == FILTER_MAX_NODES)
		return fail(lx, "filter too long (%d nodes at most)",
			    FILTER_MAX_NODES);
	n = calloc(1, sizeof(*n));
	if (!n) {
		lx->nomem = 1;
		return fail(lx, "out of memory");
	}
	n->all = lx->f->nodes;
	lx->f->nodes = n;
	lx->f->nnodes++;
	n->kind = kind;
	n->a = a;
	n->b = b;
	n->port = -1;
	return n;
}

/*
 * ":80", "80", "0x50", "*" or "" -> port, -1 for any; -2 on error.
 * Numbers only: the privileged daemon asks no resolver (a slow one would
 * stall every client and the poll); sockwatchctl turns service names
 * into numbers before it sends the filter.
 */
static int parse_port(const char *s)
{
	char *end;
	long v;

	if (*s == ':')
		s++;
	if (!*s || strcmp(s, "*") == 0)
		return -1;
	errno = 0;
	v = strtol(s, &end, 0);
	if (!errno && end != s && !*end && v >= INT_MIN && v <= INT_MAX)
		return (int)(v < 0 ? -2 : v);
	return -2;
}

/*
 * An IPv4 address as iproute2 reads it, not as inet_aton does: up to four
 * numbers, each in any base (0x7f, 0177), the missing ones zero. "10.8"
 * is 10.8.0.0, as in "ip route add 10.8/16"; inet_aton makes it 10.0.0.8.
 */
static int parse_ipv4(uint8_t *addr, const char *s)
{
	int i;

	memset(addr, 0, 4);
	for (i = 0; i < 4; i++) {
		char *end;
		unsigned long v = strtoul(s, &end, 0);

		if (end == s || v > 255)
			return -1;
		addr[i] = (uint8_t)v;
		if (!*end)
			return 0;
		if (*end != '.')
			return -1;
		s = end + 1;
	}
	return -1; /* a fifth number */
}

/* A prefix length in any base ("24", "0x18"), or a contiguous dotted mask. */
static int parse_len(const char *s, int max)
{
	uint8_t mask[4];
	uint32_t host;
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (end != s && !*end && !errno)
		return v <= (unsigned long)max ? (int)v : -1;
	if (parse_ipv4(mask, s) < 0)
		return -1;
	host = ~((uint32_t)mask[0] << 24 | (uint32_t)mask[1] << 16 |
		 (uint32_t)mask[2] << 8 | mask[3]);
	if (host & (host + 1))
		return -1; /* not ones then zeros */
	v = 32;
	for (; host; host >>= 1)
		v--;
	return (int)v <= max ? (int)v : -1;
}

/*
 * The address part of a host term, "a.b.c.d[/len]" or "v6[/len]", as
 * iproute2's get_prefix_1 reads it: a colon makes it IPv6; "any", "all"
 * and "default" are every address, as "*" is.
 */
static int parse_prefix(struct node *n, char *s)
{
	char *slash = strchr(s, '/');

	if (slash)
		*slash++ = '\0';
	if (!strcmp(s, "any") || !strcmp(s, "all") || !strcmp(s, "default"))
		return slash ? -1 : 0;
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, n->addr) != 1)
			return -1;
		n->family = AF_INET6;
	} else {
		if (parse_ipv4(n->addr, s) < 0)
			return -1;
		n->family = AF_INET;
	}
	n->bits = n->family == AF_INET ? 32 : 128;
	if (slash)
		n->bits = parse_len(slash, n->bits);
	return n->bits < 0 ? -1 : 0;
}

/*
 * src/dst HOSTCOND, as ss reads it: ADDR[/LEN][:PORT], [V6[/LEN]][:PORT],
 * *[:PORT]. An IPv6 address goes in brackets: its colons would be read
 * as the port's.
 */
static int parse_host(struct node *n, const char *tok)
{
	char s[256], *addr = s, *port;

	snprintf(s, sizeof(s), "%s", tok);
	if (s[0] == '[') {
		port = strchr(s, ']');
		if (!port)
			return -1;
		*port++ = '\0';
		addr = s + 1;
	} else if (s[0] == '*') {
		port = s + 1;
		addr = "";
	} else {
		port = strrchr(strchr(s, '/') ? strchr(s, '/') : s, ':');
	}
	if (port && *port == ':')
		*port++ = '\0';
	if (port && *port && (n->port = parse_port(port)) == -2)
		return -1;
	if (!*addr || strcmp(addr, "*") == 0)
		return 0;
	return parse_prefix(n, addr);
}

static struct node *parse_expr(struct lexer *lx);

static struct node *parse_portcond(struct lexer *lx, int dst)
{
	enum node_kind ge = dst ? N_DGE : N_SGE, le = dst ? N_DLE : N_SLE;
	enum node_kind eq = dst ? N_DST : N_SRC;
	struct node *n;
	int neg = 0, port;
	char op[8] = "";

	lex_next(lx);
	if (is(lx, w_ge) || is(lx, w_le) || is(lx, w_gt) || is(lx, w_lt) ||
	    is(lx, w_eq) || is(lx, w_ne)) {
		if (is(lx, w_ge) || is(lx, w_lt))
			eq = ge;
		else if (is(lx, w_le) || is(lx, w_gt))
			eq = le;
		neg = is(lx, w_gt) || is(lx, w_lt) || is(lx, w_ne);
		if (eq != (dst ? N_DST : N_SRC))
			snprintf(op, sizeof(op), "%s", lx->tok);
		lex_next(lx);
	}
	if (!lx->tok)
		return fail(lx, "a port is expected");
	port = parse_port(lx->tok);
	if (port == -2)
		return fail(lx,
			    "\"%s\" does not look like a port (a number; "
			    "sockwatchctl makes service names numbers)",
			    lx->tok);
	/* ss answers these two ways, by the kernel's filter and its own */
	if (port == -1 && *op)
		return fail(lx,
			    "\"%s\" compares with no port: \"%s\" takes a "
			    "number (= and != take \"*\")",
			    op, lx->tok);
	n = node_new(lx, eq, NULL, NULL);
	if (!n)
		return NULL;
	n->port = port;
	lex_next(lx);
	return neg ? node_new(lx, N_NOT, n, NULL) : n;
}

static struct node *parse_hostcond(struct lexer *lx, enum node_kind kind)
{
	struct node *n;

	lex_next(lx);
	if (is(lx, w_eq))
		lex_next(lx);
	if (!lx->tok)
		return fail(lx, "an address is expected");
	n = node_new(lx, kind, NULL, NULL);
	if (!n)
		return NULL;
	if (parse_host(n, lx->tok) < 0)
		return fail(lx,
			    "an address (numeric, [v6] for IPv6, with an "
			    "optional /prefix and :port) is expected, not "
			    "\"%s\"",
			    lx->tok);
	lex_next(lx);
	return n;
}

static struct node *parse_devcond(struct lexer *lx)
{
	struct node *n;
	int neg = 0;
	char *end;

	lex_next(lx);
	if (is(lx, w_eq) || is(lx, w_ne)) {
		neg = is(lx, w_ne);
		lex_next(lx);
	}
	if (!lx->tok)
		return fail(lx, "a device is expected");
	n = node_new(lx, N_DEV, NULL, NULL);
	if (!n)
		return NULL;
	/* An index: sockwatchctl turns names into indexes, as above. */
	{
		unsigned long v = strtoul(lx->tok, &end, 0);

		if (end == lx->tok || *end || v > UINT32_MAX)
			return fail(lx, "no device \"%s\"", lx->tok);
		n->ifindex = (uint32_t)v;
	}
	lex_next(lx);
	return neg ? node_new(lx, N_NOT, n, NULL) : n;
}

/* An optional comparison word: =, !=, >, <, >=, <= (or eq, ne...). */
static enum cmp_op parse_op(struct lexer *lx)
{
	enum cmp_op op = OP_EQ;

	if (is(lx, w_eq))
		op = OP_EQ;
	else if (is(lx, w_ne))
		op = OP_NE;
	else if (is(lx, w_gt))
		op = OP_GT;
	else if (is(lx, w_lt))
		op = OP_LT;
	else if (is(lx, w_ge))
		op = OP_GE;
	else if (is(lx, w_le))
		op = OP_LE;
	else
		return OP_EQ;
	lex_next(lx);
	return op;
}

static long parse_count(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > UINT32_MAX)
		return -1;
	return v;
}

static int word_value(enum node_kind kind, const char *w)
{
	if (kind == N_PROTO)
		return !strcmp(w, "tcp")   ? IPPROTO_TCP
		       : !strcmp(w, "udp") ? IPPROTO_UDP
					   : -1;
	return !strcmp(w, "inet")    ? AF_INET
	       : !strcmp(w, "inet6") ? AF_INET6
				     : -1;
}

/* role listen|outbound, proc NAME, pid N, user NAME|UID, unit NAME,
 * queue OP N: sockwatch's own terms. */
static struct node *parse_own(struct lexer *lx, enum node_kind kind)
{
	enum cmp_op op = OP_EQ;
	struct node *n;

	lex_next(lx);
	if (kind == N_QUEUE)
		op = parse_op(lx);
	else if (is(lx, w_eq))
		lex_next(lx);
	if (!lx->tok)
		return fail(lx, "a value is expected");
	n = node_new(lx, kind, NULL, NULL);
	if (!n)
		return NULL;
	snprintf(n->name, sizeof(n->name), "%s", lx->tok);
	n->bits = (int)op;
	if (kind == N_ROLE) {
		if (strcmp(lx->tok, "listen") != 0 &&
		    strcmp(lx->tok, "outbound") != 0)
			return fail(lx,
				    "role is listen or outbound, not \"%s\"",
				    lx->tok);
		n->port = !strcmp(lx->tok, "outbound");
	} else if (kind == N_PID || kind == N_QUEUE) {
		long v = parse_count(lx->tok);

		if (v < 0)
			return fail(lx, "a number is expected, not \"%s\"",
				    lx->tok);
		n->port = (int)(v > INT_MAX ? INT_MAX : v);
	} else if (kind == N_USER) {
		n->port = (int)parse_count(lx->tok); /* -1: a name */
	} else if (kind == N_PROTO || kind == N_FAMILY) {
		n->port = word_value(kind, lx->tok);
		if (n->port < 0)
			return fail(lx, "%s",
				    kind == N_PROTO
					    ? "proto is tcp or udp"
					    : "family is inet or inet6");
	}
	lex_next(lx);
	return n;
}

static const struct {
	const char *word;
	enum node_kind kind;
} own_terms[] = {
	{ "role", N_ROLE },   { "proc", N_PROC },     { "pid", N_PID },
	{ "user", N_USER },   { "unit", N_UNIT },     { "queue", N_QUEUE },
	{ "proto", N_PROTO }, { "family", N_FAMILY },
};

static struct node *parse_own_or_fail(struct lexer *lx)
{
	size_t k;

	for (k = 0; k < sizeof(own_terms) / sizeof(own_terms[0]); k++)
		if (strcmp(lx->tok, own_terms[k].word) == 0)
			return parse_own(lx, own_terms[k].kind);
	return fail(lx, "unknown word \"%s\"", lx->tok);
}

/* One term: ( list ), ! term, or a condition. */
static struct node *parse_term(struct lexer *lx)
{
	struct node *n;

	if (++lx->depth > FILTER_MAX_DEPTH)
		return fail(lx, "nested too deep (%d levels at most)",
			    FILTER_MAX_DEPTH);
	if (!lx->tok)
		n = fail(lx, "a condition is expected");
	else if (strcmp(lx->tok, "(") == 0) {
		lex_next(lx);
		n = parse_expr(lx);
		if (n && (!lx->tok || strcmp(lx->tok, ")") != 0))
			n = fail(lx, "\")\" is expected");
		else if (n)
			lex_next(lx);
	} else if (is(lx, w_not)) {
		lex_next(lx);
		n = parse_term(lx);
		n = n ? node_new(lx, N_NOT, n, NULL) : NULL;
	} else if (strcmp(lx->tok, "src") == 0)
		n = parse_hostcond(lx, N_SRC);
	else if (strcmp(lx->tok, "dst") == 0)
		n = parse_hostcond(lx, N_DST);
	else if (strcmp(lx->tok, "sport") == 0)
		n = parse_portcond(lx, 0);
	else if (strcmp(lx->tok, "dport") == 0)
		n = parse_portcond(lx, 1);
	else if (strcmp(lx->tok, "dev") == 0)
		n = parse_devcond(lx);
	else if (strcmp(lx->tok, "local") == 0) {
		n = node_new(lx, N_LOCAL, NULL, NULL);
		lex_next(lx);
	} else
		n = parse_own_or_fail(lx);
	lx->depth--;
	return n;
}

/* Terms joined left to right, as ss's grammar does: no precedence. */
static struct node *parse_expr(struct lexer *lx)
{
	struct node *n = parse_term(lx);

	while (n && lx->tok && strcmp(lx->tok, ")") != 0) {
		enum node_kind k = N_AND;
		struct node *m;

		if (is(lx, w_or) || is(lx, w_and)) {
			k = is(lx, w_or) ? N_OR : N_AND;
			lex_next(lx);
		}
		m = parse_term(lx);
		n = m ? node_new(lx, k, n, m) : NULL;
	}
	return n;
}

/* ss's state words and groups. */
static int state_bits(const char *w, unsigned *bits)
{
	static const struct {
		const char *name;
		unsigned bits;
	} words[] = {
		{ "established", ST(REC_ESTABLISHED) },
		{ "syn-sent", ST(REC_SYN_SENT) },
		{ "syn-recv", ST(REC_SYN_RECV) },
		{ "syn-rcv", ST(REC_SYN_RECV) },
		{ "fin-wait-1", ST(REC_FIN_WAIT1) },
		{ "fin-wait-2", ST(REC_FIN_WAIT2) },
		{ "time-wait", ST(REC_TIME_WAIT) },
		{ "unconnected", ST(REC_CLOSE) },
		{ "close", ST(REC_CLOSE) },
		{ "closed", ST(REC_CLOSE) },
		{ "close-wait", ST(REC_CLOSE_WAIT) },
		{ "last-ack", ST(REC_LAST_ACK) },
		{ "listening", ST(REC_LISTEN) },
		{ "closing", ST(REC_CLOSING) },
		{ "all", ST_ALL },
		{ "connected", ST_ALL & ~(ST(REC_CLOSE) | ST(REC_LISTEN)) },
		{ "synchronized", ST_ALL & ~(ST(REC_CLOSE) | ST(REC_LISTEN) |
					     ST(REC_SYN_SENT)) },
		{ "bucket", ST(REC_SYN_RECV) | ST(REC_TIME_WAIT) },
		{ "big", ST_ALL & ~(ST(REC_SYN_RECV) | ST(REC_TIME_WAIT)) },
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(w, words[i].name) == 0) {
			*bits = words[i].bits;
			return 0;
		}
	return -1;
}

/* Leading "state X" and "exclude X" clauses, as ss reads them. */
static int parse_states(struct lexer *lx)
{
	int saw = 0;

	lx->f->states = ST_ALL;
	while (lx->tok &&
	       (!strcmp(lx->tok, "state") || !strcmp(lx->tok, "exclude") ||
		!strcmp(lx->tok, "excl"))) {
		int excl = strcmp(lx->tok, "state") != 0;
		unsigned bits;

		lex_next(lx);
		if (!lx->tok || state_bits(lx->tok, &bits) < 0) {
			fail(lx, "a state (ss's names, or all, connected, "
				 "synchronized, bucket, big) is expected");
			return -1;
		}
		if (!saw && !excl)
			lx->f->states = 0;
		lx->f->states =
			excl ? lx->f->states & ~bits : lx->f->states | bits;
		saw = 1;
		lex_next(lx);
	}
	return 0;
}

struct filter *filter_parse(const char *text, struct filter_error *err)
{
	struct filter *f = calloc(1, sizeof(*f));
	struct lexer lx = { .text = text, .f = f, .err = err };

	memset(err, 0, sizeof(*err));
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	lex_next(&lx);
	if (parse_states(&lx) == 0 && lx.tok) {
		f->root = parse_expr(&lx);
		if (f->root && lx.tok)
			fail(&lx, "unexpected \"%s\"", lx.tok);
	}
	if (lx.failed) {
		filter_free(f);
		errno = lx.nomem ? ENOMEM : EINVAL;
		return NULL;
	}
	return f;
}

void filter_free(struct filter *f)
{
	struct node *n;

	if (!f)
		return;
	while ((n = f->nodes)) {
		f->nodes = n->all;
		free(n);
	}
	free(f);
}

/* ss compares an IPv4 prefix with a v4-mapped IPv6 address too. */
static int addr_match(const struct node *n, uint8_t family, const uint8_t *addr)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	int full = n->bits / 8, rest = n->bits % 8;

	if (!n->family)
		return 1; /* no address given: "*" */
	if (n->family == AF_INET && family == AF_INET6) {
		if (memcmp(addr, mapped, 12) != 0)
			return 0;
		addr += 12;
	} else if (n->family != family) {
		return 0;
	}
	if (!n->bits)
		return 1;
	if (memcmp(addr, n->addr, (size_t)full) != 0)
		return 0;
	return !rest ||
	       ((addr[full] ^ n->addr[full]) & (0xff00 >> rest) & 0xff) == 0;
}

static int cmp(uint64_t v, enum cmp_op op, uint64_t want)
{
	switch (op) {
	case OP_EQ:
		return v == want;
	case OP_NE:
		return v != want;
	case OP_GT:
		return v > want;
	case OP_LT:
		return v < want;
	case OP_GE:
		return v >= want;
	case OP_LE:
		return v <= want;
	}
	return 0;
}

int filter_unit_is(const char *unit, const char *want)
{
	size_t n = strlen(want);

	return !strcmp(unit, want) ||
	       (!strncmp(unit, want, n) && !strcmp(unit + n, ".service"));
}

static int proc_match(const struct node *n, const struct filter_proc *p)
{
	switch (n->kind) {
	case N_PROC:
		return !strcmp(p->comm, n->name);
	case N_PID:
		return p->pid == n->port;
	case N_USER:
		return n->port >= 0 ? p->uid == (uint32_t)n->port
				    : !strcmp(p->user, n->name);
	case N_UNIT:
		return filter_unit_is(p->unit, n->name);
	default:
		return 0;
	}
}

/* Whether any holder of record i fits the term. */
static int procs_match(const struct node *n, size_t i,
		       const struct filter_env *env)
{
	struct filter_proc p[64];
	size_t k, m;

	if (!env || !env->procs)
		return 0;
	m = env->procs(env->ctx, i, p, 64);
	for (k = 0; k < m; k++)
		if (proc_match(n, &p[k]))
			return 1;
	return 0;
}

static int node_match(const struct node *n, const struct sock_rec *r, size_t i,
		      const struct filter_env *env)
{
	switch (n->kind) {
	case N_AND:
		return node_match(n->a, r, i, env) &&
		       node_match(n->b, r, i, env);
	case N_OR:
		return node_match(n->a, r, i, env) ||
		       node_match(n->b, r, i, env);
	case N_NOT:
		return !node_match(n->a, r, i, env);
	case N_SRC:
		return (n->port < 0 || n->port == r->lport) &&
		       addr_match(n, r->family, r->laddr);
	case N_DST:
		return (n->port < 0 || n->port == r->rport) &&
		       addr_match(n, r->family, r->raddr);
	case N_SGE:
		return r->lport >= n->port;
	case N_SLE:
		return r->lport <= n->port;
	case N_DGE:
		return r->rport >= n->port;
	case N_DLE:
		return r->rport <= n->port;
	case N_DEV:
		return r->ifindex == n->ifindex;
	case N_ROLE:
		return env && env->group &&
		       !!(env->group(env->ctx, i) & FILTER_G_OUTBOUND) ==
			       n->port;
	case N_LOCAL:
		return env && env->group &&
		       (env->group(env->ctx, i) & FILTER_G_LOCAL);
	case N_QUEUE:
		return r->proto == IPPROTO_TCP && r->state == REC_LISTEN &&
		       cmp(r->rqueue, (enum cmp_op)n->bits, (uint64_t)n->port);
	case N_PROC:
	case N_PID:
	case N_USER:
	case N_UNIT:
		return procs_match(n, i, env);
	case N_PROTO:
		return r->proto == n->port;
	case N_FAMILY:
		return r->family == n->port;
	}
	return 1;
}

/* The state ss gives a record: request sockets count as SYN-RECV. */
static unsigned rec_state_bit(const struct sock_rec *r)
{
	unsigned s = r->state == REC_NEW_SYN_RECV ? REC_SYN_RECV : r->state;

	return s < 32 ? ST(s) : 0;
}

int filter_match(const struct filter *f, const struct sock_rec *r, size_t i,
		 const struct filter_env *env)
{
	if (!(f->states & rec_state_bit(r)))
		return 0;
	return !f->root || node_match(f->root, r, i, env);
}

size_t filter_cost(const struct filter *f)
{
	return f ? f->nnodes + 1 : 1;
}
