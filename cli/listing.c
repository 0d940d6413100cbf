/* listing.c - reading header, group records and end off the socket. */
#include "listing.h"

#include <err.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "render.h"

#define GROUP_PREFIX "{\"type\":\"group\","

/*
 * Says what the daemon's error record says and exits: 2 for a filter it
 * refused (the user's mistake, like bad usage), else 1. The record is
 * freed first, so that nothing is left behind at exit.
 */
static void listing_error(json_t *err)
{
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *msg = json_string_value(json_object_get(err, "message"));
	int status = code && strcmp(code, "bad_filter") == 0
			     ? EXIT_USAGE
			     : EXIT_DAEMON_ERROR;
	char text[512];

	snprintf(text, sizeof(text), "%s (%s)", msg ? msg : "no message",
		 code ? code : "no code");
	json_decref(err);
	errx(status, "sockwatchd: %s", text);
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

int listing_table(struct conn *c, FILE *out)
{
	json_t *head = listing_header(c), *end;
	size_t groups = 0, len;
	char *line;

	render_header(head, out);
	for (;;) {
		json_t *g;

		line = listing_next(c, &len);
		if (is_end(line, len))
			break;
		g = listing_record(line, len, "group");
		render_group(g, out);
		json_decref(g);
		groups++;
	}
	end = listing_end(line, len, groups);
	render_totals(end, out);
	json_decref(head);
	json_decref(end);
	return 0;
}
