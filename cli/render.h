/* SPDX-License-Identifier: ISC */
/* render.h - the table a person reads in a terminal. */
#ifndef SOCKWATCHCTL_RENDER_H
#define SOCKWATCHCTL_RENDER_H

#include <stdio.h>

#include "layout.h"
#include "records.h"

/*
 * How the table is drawn: names for ports and addresses (-r, which may
 * ask DNS), ANSI colours, tree glyphs (UTF-8) or ASCII ones, lines cut
 * to a terminal of width columns (0: none, nothing is cut), (-e) each
 * socket's uid, inode and cookie as ss -e prints them, and whether the
 * sockets are this host's, whose passwd names their uids (not those of
 * a file from another host, --from).
 */
struct render_style {
	int resolve;
	int color;
	int utf8;
	int width;
	int extended;
	int elsewhere;
};

void render_setup(const struct render_style *rs);

/*
 * The table's lines for out, cut to the style's width; with keep, held
 * until layout_flush, so that the address columns fit them all.
 */
struct layout *render_layout(FILE *out, int keep);

/*
 * s as a terminal may be shown it: control characters (C0, DEL, and C1
 * in UTF-8), bytes that start no well-formed UTF-8 and, outside a UTF-8
 * locale, every byte past ASCII are written \xNN, as ss and systemd do.
 * A process may name itself "\x1b[2J" or put a newline in its name; the
 * table must not clear a screen or forge a line. The text is s itself
 * when it needs no change, else it lives in one of eight rotating
 * buffers (1 KiB each): enough for one printed line.
 */
const char *render_safe(const char *s);

/* The line about the picture, and the column titles with members. */
void render_header(const struct rd_header *h, struct layout *lo, int members);

/* One group: its endpoint line, then (members) a line per socket. */
void render_group(const struct rd_group *g, struct layout *lo, int members);

/* The closing line with the totals. */
void render_totals(const struct rd_end *e, struct layout *lo);

/* -s's counts by state, after the listeners' lines. */
void render_summary(const struct rd_summary *s, struct layout *lo);

/* A line of the table's own text (safe already), cut like the others. */
void render_text(struct layout *lo, const char *text);

/* The status record, one "name: value" a line. */
void render_status(const struct rd_status *st, FILE *out);

/* One event a line: when, what, its ends, its group, who, how much. */
void render_event(const struct rd_event *ev, FILE *out);

/* What a lost record says, as a line a person reads. */
void render_lost(const struct rd_lost *l, FILE *out);

/* The line about the log a history answer comes from. */
void render_history_header(const struct rd_history *h, FILE *out);

/* A group's line of closed connections, then (members) one a line. */
void render_closed_group(const struct rd_closed_group *g, FILE *out,
			 int members);

#endif
