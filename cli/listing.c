/* SPDX-License-Identifier: ISC */
/*
 * listing.c - a streamed listing as a document, records or a table:
 * each is a sink of cli/records.c's one receive loop.
 */
#include "listing.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "render.h"

#define GROUP_PREFIX "{\"type\":\"group\","

/* Writes an object's members without its braces and without "type". */
static void listing_members(json_t *o, FILE *out)
{
	char *text;
	size_t n;

	json_object_del(o, "type");
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	n = strlen(text);
	if (n > 2)
		fwrite(text + 1, 1, n - 2, out);
	free(text);
}

/* A value as indented JSON, its lines shifted right by indent. */
static void dump_indented(json_t *v, FILE *out, int indent)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
					   JSON_ENCODE_ANY);
	const char *p;

	if (!text)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	for (p = text; *p; p++) {
		fputc(*p, out);
		if (*p == '\n')
			fprintf(out, "%*s", indent, "");
	}
	free(text);
}

/* An object's members, one a line at two spaces, "type" left out. */
static void pretty_members(json_t *o, FILE *out)
{
	const char *key;
	json_t *v;

	json_object_foreach (o, key, v) {
		if (!strcmp(key, "type"))
			continue;
		fprintf(out, "  \"%s\": ", key);
		dump_indented(v, out, 2);
		fputs(",\n", out);
	}
}

/* The document outputs, compact or indented, and the records one a line. */
struct doc {
	FILE *out;
	size_t groups;
	int pretty;
};

static void doc_header(void *ctx, struct rd_header *h)
{
	struct doc *d = ctx;

	if (d->pretty) {
		fputs("{\n", d->out);
		pretty_members(h->json, d->out);
		fputs("  \"groups\": [", d->out);
		return;
	}
	fputc('{', d->out);
	listing_members(h->json, d->out);
	fputs(",\"groups\":[", d->out);
}

/* For --pretty, a group record indented as a member of the document. */
static void doc_pretty_group(struct doc *d, const char *line, size_t len)
{
	json_t *o = json_loadb(line, len, 0, NULL);

	if (!o)
		errx(EXIT_DAEMON_ERROR, "sockwatchd sent a malformed record");
	json_object_del(o, "type");
	fputs(d->groups++ ? ",\n    " : "\n    ", d->out);
	dump_indented(o, d->out, 4);
	json_decref(o);
}

/*
 * Group records pass through as text: the daemon writes "type" first,
 * so dropping that prefix is all a record needs to become a member of
 * the document.
 */
static void doc_raw(void *ctx, const char *line, size_t len)
{
	struct doc *d = ctx;
	size_t n = strlen(GROUP_PREFIX);

	if (d->pretty) {
		doc_pretty_group(d, line, len);
		return;
	}
	if (d->groups++)
		fputc(',', d->out);
	fputc('{', d->out);
	fwrite(line + n, 1, len - n, d->out);
}

static void doc_end(void *ctx, struct rd_end *e)
{
	struct doc *d = ctx;
	json_t *totals = json_object_get(e->json, "totals");

	if (d->pretty) {
		fputs(d->groups ? "\n  ],\n  \"totals\": "
				: "],\n  \"totals\": ",
		      d->out);
		dump_indented(totals, d->out, 2);
		fputs("\n}\n", d->out);
		return;
	}
	fputs("],\"totals\":", d->out);
	json_dumpf(totals, d->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputs("}\n", d->out);
}

static int listing_doc(struct conn *c, FILE *out, int pretty)
{
	struct doc d = { out, 0, pretty };
	struct rd_sink sink = {
		.header = doc_header, .raw = doc_raw, .end = doc_end, .ctx = &d
	};

	rd_listing(c, &sink);
	return 0;
}

int listing_json(struct conn *c, FILE *out)
{
	return listing_doc(c, out, 0);
}

int listing_json_pretty(struct conn *c, FILE *out)
{
	return listing_doc(c, out, 1);
}

/* Records one a line: each as it came, the header and end re-written. */
static void lines_record(FILE *out, json_t *o)
{
	json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', out);
}

static void lines_header(void *ctx, struct rd_header *h)
{
	lines_record(ctx, h->json);
}

static void lines_raw(void *ctx, const char *line, size_t len)
{
	fwrite(line, 1, len, ctx);
	fputc('\n', ctx);
}

static void lines_end(void *ctx, struct rd_end *e)
{
	lines_record(ctx, e->json);
}

int listing_jsonl(struct conn *c, FILE *out)
{
	struct rd_sink sink = { .header = lines_header,
				.raw = lines_raw,
				.end = lines_end,
				.ctx = out };

	rd_listing(c, &sink);
	return 0;
}

/* A group's connections not in TIME-WAIT: those still open. */
static long long live_conns(const struct rd_group *g)
{
	long long n = (long long)g->nconn;
	size_t i;

	for (i = 0; i < g->counts.n; i++)
		if (!strcmp(g->counts.v[i].state, "time-wait"))
			n -= g->counts.v[i].n;
	return n;
}

/* The number a group is sorted by: larger first, but ports go up. */
static long long sort_key(const struct rd_group *g, const char *sort)
{
	if (!strcmp(sort, "live"))
		return live_conns(g);
	if (!strcmp(sort, "queue"))
		return g->qlen;
	if (!strcmp(sort, "sockets"))
		return (long long)g->nsock;
	if (!strcmp(sort, "port"))
		return -g->ep.port;
	return (long long)g->nconn;
}

int listing_sort_ok(const char *sort)
{
	return !strcmp(sort, "conns") || !strcmp(sort, "live") ||
	       !strcmp(sort, "queue") || !strcmp(sort, "sockets") ||
	       !strcmp(sort, "port");
}

/* The table, and -s's listeners and counts by state. */
struct table {
	struct layout *lo;
	const struct table_opts *t;
	size_t groups; /* kept for --sort or --top */
};

static int table_members(const struct table *tb)
{
	return tb->t->members && !tb->t->summary;
}

static void table_header(void *ctx, struct rd_header *h)
{
	struct table *tb = ctx;

	if (tb->t->header)
		render_header(h, tb->lo, table_members(tb));
	if (tb->t->summary)
		render_text(tb->lo, "Listeners:");
}

/*
 * A group is rendered as it comes, into a block of its own when the
 * table is sorted or cut: the layout orders the blocks at the end.
 * Unsorted, the groups past the top are never shown, nor rendered.
 */
static void table_group(void *ctx, struct rd_group *g)
{
	struct table *tb = ctx;
	const struct table_opts *t = tb->t;

	if (!t->summary && (t->sort || t->top)) {
		if (!t->sort && tb->groups >= t->top)
			return;
		tb->groups++;
		layout_block(tb->lo, t->sort ? sort_key(g, t->sort) : 0);
	}
	render_group(g, tb->lo, table_members(tb));
}

static void table_summary(void *ctx, struct rd_summary *s)
{
	struct table *tb = ctx;

	render_summary(s, tb->lo);
}

static void table_end(void *ctx, struct rd_end *e)
{
	struct table *tb = ctx;

	layout_flush(tb->lo, tb->t->sort != NULL, tb->t->top);
	if (tb->t->header)
		render_totals(e, tb->lo);
}

/*
 * The member lines are kept to the end, so that the address columns fit
 * the longest address of the listing, as ss does; so are groups to be
 * sorted or cut. Group lines alone (-c, -s) have no columns: they are
 * written as they come.
 */
int listing_table(struct conn *c, FILE *out, const struct table_opts *t)
{
	int keep = !t->summary && (t->members || t->sort || t->top);
	struct table tb = { render_layout(out, keep), t, 0 };
	struct rd_sink sink = { .header = table_header,
				.group = table_group,
				.summary = table_summary,
				.end = table_end,
				.ctx = &tb };

	rd_listing(c, &sink);
	layout_close(tb.lo);
	return 0;
}
