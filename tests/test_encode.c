/* SPDX-License-Identifier: ISC */
/* test_encode.c - records as JSON: parsed back, and checked by the schema. */
#include <check.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"
#include "encode.h"
#include "filter.h"
#include "jbuf.h"
#include "overlay.h"
#include "picture.h"
#include "query.h"
#include "tests.h"
#include "utf8.h"
#include "util.h"

static const char *namer(void *ctx, uint32_t ifindex)
{
	(void)ctx;
	return ifindex == 3 ? "we\"ird\x01" : NULL;
}

/* A picture in memory, as the server maps one. */
struct snapshot {
	struct sock_rec *recs;
	void *blob;
	size_t len;
	struct picture pic;
};

static void snapshot_unref(struct snapshot *s)
{
	free(s->recs);
	free(s->blob);
	free(s);
}

/*
 * A whole listing of s in a view, filtered by f (NULL: none), for a
 * reader who sees all, in steps.
 */
static void listing_filtered(struct snapshot *s, struct jbuf *b, uint64_t now,
			     size_t max, enum proto_view view,
			     const struct filter *f)
{
	struct query_opts o = { .filter = f,
				.all = 1,
				.now_mono_ms = now,
				.interval_ms = 1000,
				.view = view };
	struct query *q = query_new(&s->pic, &o);
	size_t steps = 0;
	int ret;

	ck_assert_ptr_nonnull(q);
	do {
		size_t before = b->len;

		ret = query_step(q, b, before + max);
		ck_assert_int_ge(ret, 0);
		ck_assert_uint_lt(++steps, 100000);
	} while (ret);
	query_free(q);
}

static void listing_view(struct snapshot *s, struct jbuf *b, uint64_t now,
			 size_t max, enum proto_view view)
{
	listing_filtered(s, b, now, max, view, NULL);
}

/* The whole listing of s for a reader who sees all, in steps of max. */
static void listing(struct snapshot *s, struct jbuf *b, uint64_t now,
		    size_t max)
{
	listing_view(s, b, now, max, PROTO_VIEW_FULL);
}

/* Group record gi of a full listing: line gi + 2 (after the header). */
static void encode_group(struct jbuf *out, struct snapshot *s, size_t gi)
{
	struct jbuf b = { 0 };
	const char *p;
	size_t i;

	listing(s, &b, 0, 1 << 20);
	p = b.p;
	for (i = 0; i <= gi; i++)
		p = (const char *)memchr(p, '\n', b.len - (size_t)(p - b.p)) +
		    1;
	jbuf_put(out, p,
		 (size_t)((const char *)memchr(p, '\n',
					       b.len - (size_t)(p - b.p)) -
			  p) +
			 1);
	jbuf_free(&b);
}

/* The picture of n records (taken over: freed with the snapshot). */
static struct snapshot *snapshot_of(struct sock_rec *recs, size_t n,
				    const char *host)
{
	const struct picture_host h = { .name = host, .namer = namer };
	struct picture_parts pp;
	struct snapshot *s = calloc(1, sizeof(*s));
	char err[160];

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(picture_parts_build(&pp, recs, n, &h), 0);
	pp.h.generation = 5;
	pp.h.taken_sec = 1764000000;
	pp.h.taken_nsec = 7000000;
	pp.h.taken_mono_ms = 1000;
	s->recs = recs;
	s->blob = picture_blob(&pp, &s->len);
	ck_assert_ptr_nonnull(s->blob);
	picture_parts_free(&pp);
	ck_assert_int_eq(
		picture_open(&s->pic, s->blob, s->len, err, sizeof(err)), 0);
	return s;
}

/* A small host with one of everything the encoder has a branch for. */
static struct snapshot *sample(const char *host)
{
	static const char *const spec[][5] = {
		{ "tcp", "listen", "0.0.0.0:22", "0.0.0.0:0", "" },
		{ "tcp", "established", "10.0.0.1:22", "10.0.0.9:50000", "" },
		{ "tcp", "time-wait", "10.0.0.1:22", "10.0.0.9:50001", "" },
		{ "tcp", "listen", "[::]:80", "[::]:0", "" },
		{ "tcp", "established", "[::ffff:127.0.0.1]:80",
		  "[::ffff:127.0.0.1]:4000", "" },
		{ "tcp", "established", "127.0.0.1:4000", "127.0.0.1:80", "" },
		{ "tcp", "listen", "0.0.0.0:8080", "0.0.0.0:0", "3" },
		{ "tcp", "listen", "0.0.0.0:9090", "0.0.0.0:0", "7" },
		{ "udp", "unconnected", "[::1]:53", "[::]:0", "" },
		{ "udp", "established", "10.0.0.1:5000", "10.0.0.53:53", "" },
		{ "tcp", "syn-sent", "10.0.0.1:5001", "192.0.2.1:443", "" },
	};
	size_t i, n = sizeof(spec) / sizeof(spec[0]);
	struct sock_rec *recs = calloc(n, sizeof(*recs));

	ck_assert_ptr_nonnull(recs);
	for (i = 0; i < n; i++)
		recs[i] = rec_make(spec[i][0], spec[i][1], spec[i][2],
				   spec[i][3], (uint32_t)atoi(spec[i][4]));
	recs[0].cookie = 0xdeadbeef01ULL;
	recs[8].flags |=
		REC_F_V6ONLY; /* [::]:80 is dual-stack: it has a client */
	return snapshot_of(recs, n, host);
}

/*
 * A host whose large groups the picture counts: a listener with 130
 * connections in three states, 70 connections out to one endpoint, a
 * UDP endpoint with 64 connected clients; and a small group beside.
 */
static struct snapshot *sample_large(void)
{
	static const char *const states[] = { "established", "time-wait",
					      "close-wait" };
	size_t n = 0, k;
	struct sock_rec *r = calloc(300, sizeof(*r));
	char local[64], remote[64];

	ck_assert_ptr_nonnull(r);
	r[n++] = rec_make("tcp", "listen", "0.0.0.0:22", "0.0.0.0:0", 0);
	r[n++] = rec_make("udp", "unconnected", "10.0.0.1:53", "0.0.0.0:0", 0);
	for (k = 0; k < 130; k++) {
		snprintf(remote, sizeof(remote), "10.0.1.%zu:%zu", k % 200,
			 40000 + k);
		r[n++] = rec_make("tcp", states[k % 3], "10.0.0.1:22", remote,
				  0);
	}
	for (k = 0; k < 70; k++) {
		snprintf(local, sizeof(local), "10.0.0.1:%zu", 50000 + k);
		r[n++] = rec_make("tcp", k % 2 ? "syn-sent" : "established",
				  local, "192.0.2.1:443", 0);
	}
	for (k = 0; k < 64; k++) {
		snprintf(remote, sizeof(remote), "10.0.2.%zu:%zu", k, 6000 + k);
		r[n++] = rec_make("udp", "established", "10.0.0.1:53", remote,
				  0);
	}
	r[n++] = rec_make("tcp", "established", "10.0.0.1:22", "10.0.9.9:1234",
			  0);
	r[n++] = rec_make("tcp", "established", "10.0.0.1:5000", "192.0.2.7:80",
			  0);
	return snapshot_of(r, n, "big");
}

static json_t *group_json(struct snapshot *s, size_t gi)
{
	struct jbuf b = { 0 };
	json_error_t jerr;
	json_t *o;

	encode_group(&b, s, gi);
	ck_assert(!b.oom);
	ck_assert_int_eq(b.p[b.len - 1], '\n');
	ck_assert_ptr_null(memchr(b.p, '\n', b.len - 1)); /* one line */
	o = json_loadb(b.p, b.len, 0, &jerr);
	ck_assert_msg(o != NULL, "%s: %.*s", jerr.text, (int)b.len, b.p);
	jbuf_free(&b);
	return o;
}

static json_t *find_group(struct snapshot *s, const char *role, int port)
{
	size_t i;

	for (i = 0; i < s->pic.ngroups; i++) {
		json_t *g = group_json(s, i);
		json_t *ep = json_object_get(g, "endpoint");

		if (strcmp(json_string_value(json_object_get(g, "role")),
			   role) == 0 &&
		    json_integer_value(json_object_get(ep, "port")) == port)
			return g;
		json_decref(g);
	}
	ck_abort_msg("no %s group on port %d", role, port);
	return NULL;
}

START_TEST(listen_group_fields)
{
	struct snapshot *s = sample("h");
	json_t *g = find_group(s, "listen", 22);
	json_t *sock = json_array_get(json_object_get(g, "sockets"), 0);
	json_t *counts = json_object_get(g, "counts");

	ck_assert_str_eq(json_string_value(json_object_get(g, "type")),
			 "group");
	ck_assert_str_eq(json_string_value(json_object_get(g, "proto")), "tcp");
	ck_assert_int_eq(json_array_size(json_object_get(g, "connections")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(counts, "listen")),
			 1);
	ck_assert_int_eq(
		json_integer_value(json_object_get(counts, "time-wait")), 1);
	ck_assert_ptr_nonnull(json_object_get(g, "accept_queue"));
	ck_assert_ptr_null(json_object_get(g, "local"));
	ck_assert_str_eq(json_string_value(json_object_get(sock, "cookie")),
			 "deadbeef01");
	ck_assert_str_eq(json_string_value(json_object_get(sock, "state")),
			 "listen");
	ck_assert(json_is_null(json_object_get(sock, "dev")));
	ck_assert_ptr_null(json_object_get(sock, "v6only"));
	json_decref(g);
	snapshot_unref(s);
}
END_TEST

START_TEST(mapped_addresses_and_v6only)
{
	struct snapshot *s = sample("h");
	json_t *g = find_group(s, "listen", 80);
	json_t *c = json_array_get(json_object_get(g, "connections"), 0);
	json_t *l = json_array_get(json_object_get(g, "sockets"), 0);

	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(c, "local"), "addr")),
			 "::ffff:127.0.0.1");
	ck_assert_str_eq(json_string_value(json_object_get(c, "family")),
			 "inet6");
	ck_assert(json_is_false(json_object_get(l, "v6only")));
	ck_assert(json_is_false(json_object_get(c, "v6only")));
	json_decref(g);
	g = find_group(s, "listen", 53);
	l = json_array_get(json_object_get(g, "sockets"), 0);
	ck_assert(json_is_true(json_object_get(l, "v6only")));
	json_decref(g);
	snapshot_unref(s);
}
END_TEST

START_TEST(devices_named_escaped_or_by_index)
{
	struct snapshot *s = sample("h");
	json_t *g = find_group(s, "listen", 8080), *g2;

	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(g, "endpoint"), "dev")),
			 "we\"ird\x01");
	g2 = find_group(s, "listen", 9090);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(g2, "endpoint"), "dev")),
			 "if7");
	json_decref(g);
	json_decref(g2);
	snapshot_unref(s);
}
END_TEST

START_TEST(outbound_groups_and_udp_states)
{
	struct snapshot *s = sample("h");
	json_t *local = find_group(s, "outbound", 80);
	json_t *far = find_group(s, "outbound", 443);
	json_t *udp = find_group(s, "listen", 53);
	json_t *u = json_array_get(json_object_get(udp, "sockets"), 0);

	ck_assert(json_is_true(json_object_get(local, "local")));
	ck_assert(json_is_false(json_object_get(far, "local")));
	ck_assert_int_eq(json_array_size(json_object_get(far, "sockets")), 0);
	ck_assert_ptr_null(json_object_get(udp, "accept_queue"));
	ck_assert_str_eq(json_string_value(json_object_get(u, "state")),
			 "unconnected");
	json_decref(local);
	json_decref(far);
	json_decref(udp);
	snapshot_unref(s);
}
END_TEST

/* UTF-8 through as it is; anything else escaped or U+FFFD, always JSON. */
/* What b holds is exactly want; read back (NULL: not JSON), b freed. */
static json_t *encoded_as(struct jbuf *b, const char *want)
{
	json_t *v;

	jbuf_put(b, "", 1);
	ck_assert_str_eq(b->p, want);
	v = json_loads(b->p, JSON_DECODE_ANY, NULL);
	jbuf_free(b);
	return v;
}

START_TEST(strings_are_exact_utf8_or_replaced)
{
	static const struct {
		const char *in, *json;
	} cases[] = {
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "\xe2\x82\xac \xf0\x9f\x90\x8d",
		  "\"\xe2\x82\xac \xf0\x9f\x90\x8d\"" },
		{ "\x1b[2J\x7f", "\"\\u001b[2J\\u007f\"" },
		{ "\xc2\x9b", "\"\\u009b\"" },	      /* C1 CSI, escaped */
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" }, /* overlong '/' */
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" }, /* surrogate */
		{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "ab\xe2\x82", "\"ab\\ufffd\\ufffd\"" }, /* cut short */
		{ "\x80x", "\"\\ufffdx\"" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct jbuf b = { 0 };
		json_t *v;

		jbuf_str(&b, cases[i].in);
		v = encoded_as(&b, cases[i].json);
		ck_assert_msg(v != NULL, "case %zu is not JSON", i);
		json_decref(v);
	}
	ck_assert_int_eq(utf8_bad_at("caf\xc3\xa9"), -1);
	ck_assert_int_eq(utf8_bad_at("caf\xe9"), 3);
}
END_TEST

/* Numbers a JSON reader can hold: past INT64_MAX, INT64_MAX. */
START_TEST(numbers_fit_a_reader)
{
	static const struct {
		uint64_t in;
		const char *json;
	} cases[] = {
		{ 0, "0" },
		{ 5001, "5001" },
		{ INT64_MAX, "9223372036854775807" },
		{ (uint64_t)INT64_MAX + 1, "9223372036854775807" },
		{ UINT64_MAX, "9223372036854775807" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct jbuf b = { 0 };
		json_t *v;

		jbuf_u64(&b, cases[i].in);
		v = encoded_as(&b, cases[i].json);
		ck_assert_msg(json_is_integer(v), "case %zu is not read", i);
		json_decref(v);
	}
}
END_TEST

START_TEST(header_and_end)
{
	struct snapshot *s = sample("ho\"st\n\xc3\xa9\xff");
	struct jbuf b = { 0 };
	const char *last;
	json_t *h, *e;

	listing(s, &b, 1250, 1 << 20);
	h = json_loadb(b.p, (size_t)((char *)memchr(b.p, '\n', b.len) - b.p), 0,
		       NULL);
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(json_string_value(json_object_get(h, "schema")),
			 "sockwatch/1");
	ck_assert_str_eq(json_string_value(json_object_get(h, "host")),
			 "ho\"st\n\xc3\xa9\xef\xbf\xbd");
	ck_assert_str_eq(json_string_value(json_object_get(h, "taken_at")),
			 "2025-11-24T16:00:00.007Z");
	ck_assert_int_eq(json_integer_value(json_object_get(h, "age_ms")), 250);
	ck_assert_int_eq(json_integer_value(json_object_get(h, "generation")),
			 5);
	last = b.p + b.len - 1;
	while (last > b.p && last[-1] != '\n')
		last--;
	e = json_loadb(last, (size_t)(b.p + b.len - last), 0, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "count")),
			 (json_int_t)s->pic.ngroups);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(e, "totals"), "udp")),
			 2);
	json_decref(h);
	json_decref(e);
	jbuf_free(&b);
	snapshot_unref(s);
}
END_TEST

/* A listing written a few bytes at a time is the listing written whole. */
START_TEST(small_steps_make_the_same_listing)
{
	struct snapshot *s = sample("h");
	struct jbuf whole = { 0 }, pieces = { 0 };

	listing(s, &whole, 0, 1 << 20);
	listing(s, &pieces, 0, 1);
	ck_assert_uint_eq(whole.len, pieces.len);
	ck_assert_mem_eq(whole.p, pieces.p, whole.len);
	jbuf_free(&whole);
	jbuf_free(&pieces);
	snapshot_unref(s);
}
END_TEST

/* Every record the encoder writes, through the lines schema. */
START_TEST(records_validate_against_schema)
{
	struct snapshot *s = sample("h");
	struct jbuf b = { 0 };

	listing(s, &b, 0, 1 << 20);
	jbuf_put(&b, "", 1);
	ck_assert(!b.oom);
	schema_check_lines(b.p);
	jbuf_free(&b);
	snapshot_unref(s);
}
END_TEST

/* A filter skips the groups it passes nothing of, wherever they are. */
START_TEST(filtered_listing_skips_groups)
{
	struct snapshot *s = sample("h");
	struct filter_error fe;
	struct filter *f = filter_parse("sport = :80 or dport = :443", &fe);
	struct query_opts o = { .filter = f, .all = 1 };
	struct query *q = query_new(&s->pic, &o);
	struct jbuf b = { 0 };
	size_t lines = 0, i;
	int ret;

	ck_assert_ptr_nonnull(f);
	while ((ret = query_step(q, &b, b.len + 1)) > 0)
		;
	ck_assert_int_eq(ret, 0);
	for (i = 0; i < b.len; i++)
		lines += b.p[i] == '\n';
	/* header, the [::]:80 listen group, the syn-sent to :443, end */
	ck_assert_uint_eq(lines, 4);
	ck_assert_ptr_nonnull(strstr(b.p, "\"port\":80,"));
	ck_assert_ptr_nonnull(strstr(b.p, "\"port\":443,"));
	ck_assert_ptr_nonnull(strstr(b.p, "{\"type\":\"end\",\"count\":2,"
					  "\"totals\":{\"sockets\":3,"));
	query_free(q);
	filter_free(f);
	jbuf_free(&b);
	snapshot_unref(s);
}
END_TEST

/* Each line of b parsed, in order; NULL-terminated, for json_decref. */
static json_t **lines_of(const struct jbuf *b, size_t *n)
{
	json_t **v = calloc(b->len + 1, sizeof(*v));
	const char *p = b->p;

	ck_assert_ptr_nonnull(v);
	*n = 0;
	while (p < b->p + b->len) {
		const char *nl = memchr(p, '\n', (size_t)(b->p + b->len - p));

		v[*n] = json_loadb(p, (size_t)(nl - p), 0, NULL);
		ck_assert_ptr_nonnull(v[(*n)++]);
		p = nl + 1;
	}
	return v;
}

static void lines_free(json_t **v, size_t n)
{
	while (n)
		json_decref(v[--n]);
	free(v);
}

/*
 * The counts view is the full view without members, their numbers in
 * their place; the summary view, its listen groups and the counts by
 * protocol and state that the full view's groups add up to.
 */
START_TEST(counts_and_summary_views)
{
	struct snapshot *s = sample("h");
	struct jbuf full = { 0 }, counts = { 0 }, sum = { 0 };
	json_t **f, **c, **m, *by;
	size_t nf, nc, nm, i, listen = 0;
	json_int_t tcp = 0, udp = 0;

	listing(s, &full, 0, 1 << 20);
	listing_view(s, &counts, 0, 1 << 20, PROTO_VIEW_COUNTS);
	listing_view(s, &sum, 0, 1 << 20, PROTO_VIEW_SUMMARY);
	jbuf_put(&counts, "", 1);
	schema_check_lines(counts.p);
	counts.len--;
	jbuf_put(&sum, "", 1);
	schema_check_lines(sum.p);
	sum.len--;
	f = lines_of(&full, &nf);
	c = lines_of(&counts, &nc);
	m = lines_of(&sum, &nm);
	ck_assert_uint_eq(nc, nf);
	for (i = 1; i + 1 < nf; i++) {
		json_t *fs = json_object_get(f[i], "sockets");
		json_t *fc = json_object_get(f[i], "connections");

		ck_assert_ptr_null(json_object_get(c[i], "sockets"));
		ck_assert_int_eq(
			json_integer_value(json_object_get(c[i], "nsockets")),
			(json_int_t)json_array_size(fs));
		ck_assert_int_eq(json_integer_value(
					 json_object_get(c[i], "nconnections")),
				 (json_int_t)json_array_size(fc));
		ck_assert(json_equal(json_object_get(c[i], "counts"),
				     json_object_get(f[i], "counts")));
		listen += !strcmp(
			json_string_value(json_object_get(f[i], "role")),
			"listen");
	}
	/* header, the listen groups, the summary, end */
	ck_assert_uint_eq(nm, listen + 3);
	by = m[nm - 2];
	ck_assert_str_eq(json_string_value(json_object_get(by, "type")),
			 "summary");
	for (i = 0; i < 2; i++) {
		const char *key;
		json_t *v;

		json_object_foreach (json_object_get(by, i ? "udp" : "tcp"),
				     key, v)
			*(i ? &udp : &tcp) += json_integer_value(v);
	}
	ck_assert_int_eq(tcp, 9);
	ck_assert_int_eq(udp, 2);
	/* the same totals; count is the group records sent */
	ck_assert(json_equal(json_object_get(m[nm - 1], "totals"),
			     json_object_get(f[nf - 1], "totals")));
	ck_assert_int_eq(
		json_integer_value(json_object_get(m[nm - 1], "count")),
		(json_int_t)listen);
	lines_free(f, nf);
	lines_free(c, nc);
	lines_free(m, nm);
	jbuf_free(&full);
	jbuf_free(&counts);
	jbuf_free(&sum);
	snapshot_unref(s);
}
END_TEST

/* The "counts" of each group record of a listing, in order. */
static json_t *counts_of(struct jbuf *b)
{
	json_t *all = json_array(), **v;
	size_t n, i;

	v = lines_of(b, &n);
	for (i = 1; i + 1 < n; i++) {
		json_t *c = json_object_get(v[i], "counts");

		json_array_append(all, c ? c : v[i]); /* or the summary */
	}
	json_array_append(all, json_object_get(v[n - 1], "totals"));
	lines_free(v, n);
	return all;
}

static json_t *counts_listing(struct snapshot *s, enum proto_view view,
			      const struct filter *f)
{
	struct jbuf b = { 0 };
	json_t *c;

	listing_filtered(s, &b, 0, 1 << 20, view, f);
	ck_assert(!b.oom);
	c = counts_of(&b);
	jbuf_free(&b);
	return c;
}

/*
 * A group of GROUP_TALLY_MIN connections or more carries their counts:
 * the counts view reads them, not the members, and says what counting
 * the members says (the full view's, and a filter's that passes all).
 */
START_TEST(large_groups_are_counted_once)
{
	struct snapshot *s = sample_large();
	struct filter_error fe;
	struct filter *f = filter_parse("sport >= :0", &fe);
	json_t *full, *counts, *filtered, *g22;
	size_t i;

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(s->pic.ntallies, 3);
	for (i = 0; i < s->pic.ntallies; i++)
		ck_assert_uint_ge(s->pic.groups[s->pic.tallies[i].group].nconn,
				  GROUP_TALLY_MIN);
	full = counts_listing(s, PROTO_VIEW_FULL, NULL);
	counts = counts_listing(s, PROTO_VIEW_COUNTS, NULL);
	filtered = counts_listing(s, PROTO_VIEW_COUNTS, f);
	ck_assert_uint_eq(json_array_size(full), s->pic.ngroups + 1);
	ck_assert_msg(json_equal(full, counts), "%s\nis not\n%s",
		      json_dumps(counts, 0), json_dumps(full, 0));
	ck_assert(json_equal(full, filtered));
	/* and the numbers are the right ones, not only the same ones */
	g22 = json_array_get(counts, 0);
	ck_assert_int_eq(json_integer_value(json_object_get(g22, "listen")), 1);
	ck_assert_int_eq(
		json_integer_value(json_object_get(g22, "established")), 45);
	ck_assert_int_eq(json_integer_value(json_object_get(g22, "time-wait")),
			 43);
	ck_assert_int_eq(json_integer_value(json_object_get(g22, "close-wait")),
			 43);
	json_decref(full);
	json_decref(counts);
	json_decref(filtered);
	/* the counts view reads the picture's counts, not the members */
	{
		struct group_tally *t =
			(struct group_tally *)((uint8_t *)s->blob +
					       s->pic.h->sect[PICTURE_TALLIES]
						       .off);

		t->count[REC_T_ESTABLISHED]--;
		t->count[REC_T_CLOSING]++;
		counts = counts_listing(s, PROTO_VIEW_COUNTS, NULL);
		ck_assert_int_eq(json_integer_value(json_object_get(
					 json_array_get(counts, 0), "closing")),
				 1);
		json_decref(counts);
		t->count[REC_T_ESTABLISHED]++;
		t->count[REC_T_CLOSING]--;
	}
	/* the summary adds the same up */
	full = counts_listing(s, PROTO_VIEW_SUMMARY, NULL);
	filtered = counts_listing(s, PROTO_VIEW_SUMMARY, f);
	ck_assert(json_equal(full, filtered));
	json_decref(full);
	json_decref(filtered);
	filter_free(f);
	snapshot_unref(s);
}
END_TEST

/* A copy of s's blob, changed by f, must be refused with err's words. */
static void refused_when(struct snapshot *s, void (*f)(uint8_t *, size_t),
			 const char *words)
{
	uint8_t *b = aligned_alloc(8, (s->len + 7) / 8 * 8);
	struct picture p;
	char err[160] = "";

	ck_assert_ptr_nonnull(b);
	memcpy(b, s->blob, s->len);
	f(b, s->len);
	ck_assert_int_eq(picture_open(&p, b, s->len, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, words), "\"%s\" does not say \"%s\"", err,
		      words);
	free(b);
}

static struct picture_header *hdr(uint8_t *b)
{
	return (struct picture_header *)b;
}

static void bad_magic(uint8_t *b, size_t len)
{
	(void)len;
	b[0] = 'X';
}

static void bad_version(uint8_t *b, size_t len)
{
	(void)len;
	hdr(b)->version = 2;
}

static void bad_size(uint8_t *b, size_t len)
{
	hdr(b)->size = len + 8;
}

static void section_outside(uint8_t *b, size_t len)
{
	hdr(b)->sect[PICTURE_GROUPS].off = len + 8;
}

static void too_many_records(uint8_t *b, size_t len)
{
	hdr(b)->sect[PICTURE_RECS].count = len;
}

static void order_out_of_range(uint8_t *b, size_t len)
{
	uint32_t big = 1000;

	(void)len;
	memcpy(b + hdr(b)->sect[PICTURE_ORDER].off, &big, sizeof(big));
}

static void group_past_order(uint8_t *b, size_t len)
{
	struct sockgroup g;
	uint8_t *at = b + hdr(b)->sect[PICTURE_GROUPS].off;

	(void)len;
	memcpy(&g, at, sizeof(g));
	g.nconn = 0xfffffff0u;
	memcpy(at, &g, sizeof(g));
}

static void strings_unterminated(uint8_t *b, size_t len)
{
	const struct picture_span *st = &hdr(b)->sect[PICTURE_STRINGS];

	(void)len;
	b[st->off + st->count - 1] = 'x';
}

static void host_out_of_range(uint8_t *b, size_t len)
{
	(void)len;
	hdr(b)->host = 1u << 30;
}

static void time_out_of_range(uint8_t *b, size_t len)
{
	(void)len;
	hdr(b)->generation = UINT64_MAX;
}

static struct group_tally *first_tally(uint8_t *b)
{
	return (struct group_tally *)(b + hdr(b)->sect[PICTURE_TALLIES].off);
}

static void tally_short(uint8_t *b, size_t len)
{
	(void)len;
	first_tally(b)->count[REC_T_ESTABLISHED]--;
}

static void tally_of_no_group(uint8_t *b, size_t len)
{
	(void)len;
	first_tally(b)->group = 1u << 30;
}

/* What a recording from anywhere may hold that the reader must refuse. */
START_TEST(malformed_pictures_are_refused)
{
	struct snapshot *s = sample("h");
	struct picture p;
	char err[160];

	refused_when(s, bad_magic, "not a sockwatch picture");
	refused_when(s, bad_version, "picture version 2");
	refused_when(s, bad_size, "bytes, not");
	refused_when(s, section_outside, "groups lie outside");
	refused_when(s, too_many_records, "records lie outside");
	refused_when(s, order_out_of_range, "order names record 1000");
	refused_when(s, group_past_order, "group 0 is malformed");
	refused_when(s, strings_unterminated, "not terminated");
	refused_when(s, host_out_of_range, "host name");
	refused_when(s, time_out_of_range, "times are out of range");
	{
		struct snapshot *big = sample_large();

		refused_when(big, tally_short, "add up to 130 of 131");
		refused_when(big, tally_of_no_group, "counts 0 name no group");
		snapshot_unref(big);
	}
	/* too short to hold a header, and unaligned */
	ck_assert_int_eq(picture_open(&p, s->blob, 16, err, sizeof(err)), -1);
	ck_assert_int_eq(picture_open(&p, (uint8_t *)s->blob + 1, s->len - 1,
				      err, sizeof(err)),
			 -1);
	snapshot_unref(s);
}
END_TEST

/* An overlay blob over s: entries as given, in a buffer of its own. */
static void *overlay_of(struct snapshot *s, const struct overlay_entry *e,
			size_t n, size_t *len)
{
	struct overlay_header *h;

	*len = overlay_size(n);
	h = calloc(1, *len);
	ck_assert_ptr_nonnull(h);
	memcpy(h->magic, OVERLAY_MAGIC, 8);
	h->version = OVERLAY_VERSION;
	h->count = (uint32_t)n;
	h->generation = s->pic.h->generation;
	h->taken_sec = 1764000003;
	h->taken_mono_ms = 4000;
	memcpy(h + 1, e, n * sizeof(*e));
	return h;
}

/* Parsed lines of a listing of s with the overlay o over it. */
static json_t **listing_over(struct snapshot *s, const struct overlay *o,
			     size_t *n)
{
	struct query_opts qo = {
		.all = 1, .now_mono_ms = 4500, .interval_ms = 100, .overlay = o
	};
	struct query *q = query_new(&s->pic, &qo);
	struct jbuf b = { 0 };
	char *text;
	json_t **v;

	ck_assert_ptr_nonnull(q);
	while (query_step(q, &b, 1 << 20) > 0)
		;
	query_free(q);
	text = strndup(b.p, b.len);
	ck_assert_ptr_nonnull(text);
	schema_check_lines(text);
	free(text);
	v = lines_of(&b, n);
	jbuf_free(&b);
	return v;
}

static json_t *group_on(json_t **v, size_t n, int port)
{
	size_t i;

	for (i = 1; i + 1 < n; i++) {
		json_t *ep = json_object_get(v[i], "endpoint");

		if (json_integer_value(json_object_get(ep, "port")) == port)
			return v[i];
	}
	return NULL;
}

/*
 * Between full dumps the listeners are as the overlay says: queues as
 * they are now, a closed one gone, the rest of the picture as it was.
 */
START_TEST(an_overlay_gives_the_listeners_now)
{
	struct snapshot *s = sample("h");
	const struct overlay_entry e[] = {
		{ .rec = 0, .rqueue = 5, .wqueue = 128 },
		{ .rec = 6, .flags = OVERLAY_F_GONE },
	};
	struct overlay o;
	char err[160];
	size_t len, n, plain;
	void *blob = overlay_of(s, e, 2, &len);
	json_t **v, *g, *q, **base;

	ck_assert_int_eq(overlay_open(&o, blob, len, &s->pic, err, sizeof(err)),
			 0);
	base = listing_over(s, NULL, &plain);
	v = listing_over(s, &o, &n);
	ck_assert_int_eq(
		json_integer_value(json_object_get(v[0], "listeners_age_ms")),
		500);
	ck_assert_str_eq(
		json_string_value(json_object_get(v[0], "listeners_taken_at")),
		"2025-11-24T16:00:03.000Z");
	ck_assert_ptr_null(json_object_get(base[0], "listeners_age_ms"));
	g = group_on(v, n, 22);
	ck_assert_ptr_nonnull(g);
	q = json_object_get(g, "accept_queue");
	ck_assert_int_eq(json_integer_value(json_object_get(q, "len")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(q, "max")), 128);
	ck_assert_int_eq(
		json_integer_value(json_object_get(
			json_array_get(json_object_get(g, "sockets"), 0),
			"rqueue")),
		5);
	/* its connections are the picture's */
	ck_assert_uint_eq(json_array_size(json_object_get(g, "connections")),
			  2);
	/* the closed listener had nothing else: its group is gone */
	ck_assert_ptr_nonnull(group_on(base, plain, 8080));
	ck_assert_ptr_null(group_on(v, n, 8080));
	ck_assert_uint_eq(n, plain - 1);
	/* a listener the overlay does not name is the picture's */
	ck_assert_ptr_nonnull(group_on(v, n, 9090));
	lines_free(v, n);
	lines_free(base, plain);
	free(blob);
	snapshot_unref(s);
}
END_TEST

/* An overlay is checked against the picture it claims to lie over. */
START_TEST(overlays_that_do_not_fit_are_refused)
{
	struct snapshot *s = sample("h");
	const struct overlay_entry ok[] = { { .rec = 0 }, { .rec = 3 } };
	const struct overlay_entry unsorted[] = { { .rec = 3 }, { .rec = 0 } };
	const struct overlay_entry connection[] = { { .rec = 1 } };
	const struct overlay_entry outside[] = { { .rec = 1000 } };
	struct overlay o;
	struct overlay_header *h;
	char err[160];
	size_t len;
	void *blob;

	blob = overlay_of(s, ok, 2, &len);
	ck_assert_int_eq(overlay_open(&o, blob, len, &s->pic, err, sizeof(err)),
			 0);
	ck_assert_int_lt(
		overlay_open(&o, blob, len - 1, &s->pic, err, sizeof(err)), 0);
	h = blob;
	h->generation++;
	ck_assert_int_lt(overlay_open(&o, blob, len, &s->pic, err, sizeof(err)),
			 0);
	ck_assert_ptr_nonnull(strstr(err, "another picture"));
	h->generation--;
	h->magic[0] = 'X';
	ck_assert_int_lt(overlay_open(&o, blob, len, &s->pic, err, sizeof(err)),
			 0);
	free(blob);
	blob = overlay_of(s, unsorted, 2, &len);
	ck_assert_int_lt(overlay_open(&o, blob, len, &s->pic, err, sizeof(err)),
			 0);
	ck_assert_ptr_nonnull(strstr(err, "order"));
	free(blob);
	blob = overlay_of(s, connection, 1, &len);
	ck_assert_int_lt(overlay_open(&o, blob, len, &s->pic, err, sizeof(err)),
			 0);
	free(blob);
	blob = overlay_of(s, outside, 1, &len);
	ck_assert_int_lt(overlay_open(&o, blob, len, &s->pic, err, sizeof(err)),
			 0);
	ck_assert_ptr_nonnull(strstr(err, "no listener"));
	free(blob);
	snapshot_unref(s);
}
END_TEST

Suite *encode_suite(void)
{
	Suite *s = suite_create("encode");
	TCase *tc = tcase_create("records");

	tcase_add_test(tc, listen_group_fields);
	tcase_add_test(tc, mapped_addresses_and_v6only);
	tcase_add_test(tc, devices_named_escaped_or_by_index);
	tcase_add_test(tc, outbound_groups_and_udp_states);
	tcase_add_test(tc, header_and_end);
	tcase_add_test(tc, strings_are_exact_utf8_or_replaced);
	tcase_add_test(tc, numbers_fit_a_reader);
	tcase_add_test(tc, small_steps_make_the_same_listing);
	tcase_add_test(tc, malformed_pictures_are_refused);
	tcase_add_test(tc, filtered_listing_skips_groups);
	tcase_add_test(tc, counts_and_summary_views);
	tcase_add_test(tc, large_groups_are_counted_once);
	tcase_add_test(tc, an_overlay_gives_the_listeners_now);
	tcase_add_test(tc, overlays_that_do_not_fit_are_refused);
	tcase_add_test(tc, records_validate_against_schema);
	suite_add_tcase(s, tc);
	return s;
}
