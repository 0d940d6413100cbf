/* SPDX-License-Identifier: ISC */
/* listing.c - reading header, group records and end off the socket. */
#include "listing.h"

#include <err.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "render.h"

#define GROUP_PREFIX "{\"type\":\"group\","
#define SUMMARY_PREFIX "{\"type\":\"summary\","

/*
 * Says what the daemon's error record says and exits: 2 for a filter it
 * refused (the user's mistake, like bad usage), 4 for a request it
 * denied, else 1. The record is
 * freed first, so that nothing is left behind at exit.
 */
static void listing_error(json_t *err)
{
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *msg = json_string_value(json_object_get(err, "message"));
	int status = !code			       ? EXIT_DAEMON_ERROR
		     : strcmp(code, "bad_filter") == 0 ? EXIT_USAGE
		     : strcmp(code, "denied") == 0     ? EXIT_DENIED
						       : EXIT_DAEMON_ERROR;
	char text[512];

	snprintf(text, sizeof(text), "%s (%s)", msg ? msg : "no message",
		 code ? code : "no code");
	json_decref(err);
	errx(status, "sockwatchd: %s", render_safe(text));
}

json_t *listing_record(const char *line, size_t len, const char *want)
{
	json_error_t jerr;
	json_t *o = json_loadb(line, len, 0, &jerr);
	const char *type;

	if (!o || !json_is_object(o))
		errx(EXIT_DAEMON_ERROR,
		     "sockwatchd sent a malformed record: %s",
		     o ? "not an object" : jerr.text);
	type = json_string_value(json_object_get(o, "type"));
	if (type && strcmp(type, "error") == 0)
		listing_error(o);
	if (!type || (want && strcmp(type, want) != 0))
		errx(EXIT_DAEMON_ERROR,
		     "sockwatchd sent a \"%s\" record where "
		     "a \"%s\" was expected",
		     type ? type : "untyped", want);
	return o;
}

static char *listing_next(struct conn *c, size_t *len)
{
	char *line = conn_line(c, len);

	if (!line)
		errx(EXIT_DAEMON_ERROR,
		     "the answer from sockwatchd was cut short; try again");
	return line;
}

static json_t *listing_header(struct conn *c)
{
	size_t len;
	char *line = listing_next(c, &len);

	return listing_record(line, len, "header");
}

/* The end record must account for every group; else the answer is torn. */
static json_t *listing_end(const char *line, size_t len, size_t groups)
{
	json_t *end = listing_record(line, len, "end");
	json_int_t count = json_integer_value(json_object_get(end, "count"));

	if (count < 0 || (size_t)count != groups)
		errx(EXIT_DAEMON_ERROR,
		     "sockwatchd announced %lld groups but sent %zu",
		     (long long)count, groups);
	return end;
}

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

/*
 * Group records pass through as text: the daemon writes "type" first,
 * so dropping that prefix is all a record needs to become a document
 * member. Anything else is parsed and re-written.
 */
static void listing_group_json(const char *line, size_t len, FILE *out)
{
	json_t *o;

	if (len > strlen(GROUP_PREFIX) &&
	    memcmp(line, GROUP_PREFIX, strlen(GROUP_PREFIX)) == 0) {
		fputc('{', out);
		fwrite(line + strlen(GROUP_PREFIX), 1,
		       len - strlen(GROUP_PREFIX), out);
		return;
	}
	o = listing_record(line, len, "group");
	fputc('{', out);
	listing_members(o, out);
	fputc('}', out);
	json_decref(o);
}

static int is_end(const char *line, size_t len)
{
	return len >= 14 && memcmp(line, "{\"type\":\"end\"", 13) == 0;
}

int listing_json(struct conn *c, FILE *out)
{
	json_t *head = listing_header(c), *end;
	size_t groups = 0, len;
	char *line;

	fputc('{', out);
	listing_members(head, out);
	fputs(",\"groups\":[", out);
	for (;;) {
		line = listing_next(c, &len);
		if (is_end(line, len))
			break;
		if (groups++)
			fputc(',', out);
		listing_group_json(line, len, out);
	}
	end = listing_end(line, len, groups);
	fputs("],\"totals\":", out);
	json_dumpf(json_object_get(end, "totals"), out,
		   JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputs("}\n", out);
	json_decref(head);
	json_decref(end);
	return 0;
}

/* The next group record, parsed; NULL at the end record, left in *line. */
static json_t *next_group(struct conn *c, char **line, size_t *len)
{
	*line = listing_next(c, len);
	return is_end(*line, *len) ? NULL
				   : listing_record(*line, *len, "group");
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

/*
 * The document of listing_json, indented for a person: still a group
 * at a time, never the whole document as one tree.
 */
int listing_json_pretty(struct conn *c, FILE *out)
{
	json_t *head = listing_header(c), *end;
	size_t groups = 0, len;
	char *line;
	json_t *g;

	fputs("{\n", out);
	pretty_members(head, out);
	fputs("  \"groups\": [", out);
	while ((g = next_group(c, &line, &len))) {
		json_object_del(g, "type");
		fputs(groups++ ? ",\n    " : "\n    ", out);
		dump_indented(g, out, 4);
		json_decref(g);
	}
	end = listing_end(line, len, groups);
	fputs(groups ? "\n  ],\n  \"totals\": " : "],\n  \"totals\": ", out);
	dump_indented(json_object_get(end, "totals"), out, 2);
	fputs("\n}\n", out);
	json_decref(head);
	json_decref(end);
	return 0;
}

/* The number a group is sorted by: larger first, but ports go up. */
static long long sort_key(json_t *g, const char *sort)
{
	json_t *q = json_object_get(g, "accept_queue");

	if (!strcmp(sort, "queue"))
		return json_integer_value(json_object_get(q, "len"));
	if (!strcmp(sort, "sockets"))
		return json_integer_value(json_object_get(g, "nsock"));
	if (!strcmp(sort, "port"))
		return -json_integer_value(json_object_get(
			json_object_get(g, "endpoint"), "port"));
	return json_integer_value(json_object_get(g, "nconn"));
}

static const char *sort_field;

static int group_cmp(const void *a, const void *b)
{
	long long x = sort_key(*(json_t *const *)a, sort_field);
	long long y = sort_key(*(json_t *const *)b, sort_field);

	return (x < y) - (x > y);
}

int listing_sort_ok(const char *sort)
{
	return !strcmp(sort, "conns") || !strcmp(sort, "queue") ||
	       !strcmp(sort, "sockets") || !strcmp(sort, "port");
}

/*
 * A group as the table keeps it while it waits to be sorted: without its
 * members when only the group lines are shown, so a million connections
 * cost a count, not a million objects.
 */
static json_t *table_keep(json_t *g, const struct table_opts *t)
{
	json_t *nconn = json_object_get(g, "nconnections");
	json_t *nsock = json_object_get(g, "nsockets");

	/* the counts view sends the sizes, the full view the members */
	json_object_set_new(
		g, "nconn",
		json_integer(
			nconn ? json_integer_value(nconn)
			      : (json_int_t)json_array_size(
					json_object_get(g, "connections"))));
	json_object_set_new(
		g, "nsock",
		json_integer(nsock ? json_integer_value(nsock)
				   : (json_int_t)json_array_size(
					     json_object_get(g, "sockets"))));
	if (!t->members) {
		json_object_set_new(g, "sockets", json_array());
		json_object_set_new(g, "connections", json_array());
	}
	return g;
}

static void table_print(json_t **v, size_t n, FILE *out,
			const struct table_opts *t)
{
	size_t i;

	if (t->sort && n) {
		sort_field = t->sort;
		qsort(v, n, sizeof(json_t *), group_cmp);
	}
	for (i = 0; i < n; i++) {
		if (!t->top || i < t->top)
			render_group(v[i], out, t->members);
		json_decref(v[i]);
	}
}

/* The summary record's counts of one protocol, as "  tcp: 3 listen". */
static void summary_line(json_t *sum, const char *proto, FILE *out)
{
	json_t *acc = json_object_get(sum, proto), *v;
	const char *state;
	int first = 1;

	if (!json_object_size(acc))
		return;
	fprintf(out, "  %s:", proto);
	json_object_foreach (acc, state, v) {
		fprintf(out, "%s %lld %s", first ? "" : ",",
			(long long)json_integer_value(v), render_safe(state));
		first = 0;
	}
	fputc('\n', out);
}

/*
 * ss -s's counts by protocol and state, and the line of each listener:
 * the view of a host too busy to list connection by connection. The
 * daemon sends the listen groups without members, then the counts.
 */
static int listing_summary(struct conn *c, FILE *out, json_t *head,
			   const struct table_opts *t)
{
	json_t *sum, *end;
	size_t groups = 0, len;
	char *line;

	if (t->header)
		render_header(head, out, 0);
	fputs("Listeners:\n", out);
	for (;;) {
		json_t *g;

		line = listing_next(c, &len);
		if (len > strlen(SUMMARY_PREFIX) &&
		    memcmp(line, SUMMARY_PREFIX, strlen(SUMMARY_PREFIX)) == 0)
			break;
		g = listing_record(line, len, "group");
		groups++;
		render_group(g, out, 0);
		json_decref(g);
	}
	sum = listing_record(line, len, "summary");
	line = listing_next(c, &len);
	end = listing_end(line, len, groups);
	fputs("By state:\n", out);
	summary_line(sum, "tcp", out);
	summary_line(sum, "udp", out);
	if (t->header)
		render_totals(end, out);
	json_decref(sum);
	json_decref(head);
	json_decref(end);
	return 0;
}

int listing_table(struct conn *c, FILE *out, const struct table_opts *t)
{
	json_t *head = listing_header(c), *end, **kept = NULL;
	size_t groups = 0, len, cap = 0;
	int hold = t->sort || t->top;
	char *line;
	json_t *g;

	if (t->summary)
		return listing_summary(c, out, head, t);
	if (t->header)
		render_header(head, out, t->members);
	while ((g = next_group(c, &line, &len))) {
		groups++;
		if (!hold) {
			render_group(g, out, t->members);
			json_decref(g);
			continue;
		}
		if (groups > cap) {
			cap = cap ? cap * 2 : 256;
			kept = realloc(kept, cap * sizeof(json_t *));
			if (!kept)
				errx(EXIT_DAEMON_ERROR, "out of memory");
		}
		kept[groups - 1] = table_keep(g, t);
	}
	end = listing_end(line, len, groups);
	table_print(kept, hold ? groups : 0, out, t);
	free(kept);
	if (t->header)
		render_totals(end, out);
	json_decref(head);
	json_decref(end);
	return 0;
}

int listing_jsonl(struct conn *c, FILE *out)
{
	json_t *head = listing_header(c), *end;
	size_t groups = 0, len;
	char *line;

	json_dumpf(head, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	for (;;) {
		line = listing_next(c, &len);
		if (is_end(line, len))
			break;
		fwrite(line, 1, len, out);
		fputc('\n', out);
		groups++;
	}
	end = listing_end(line, len, groups);
	json_dumpf(end, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(head);
	json_decref(end);
	return 0;
}
