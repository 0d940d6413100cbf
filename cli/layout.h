/* SPDX-License-Identifier: ISC */
/* layout.h - the table's lines: kept as text, measured, fitted to a width. */
#ifndef SOCKWATCHCTL_LAYOUT_H
#define SOCKWATCHCTL_LAYOUT_H

#include <stdio.h>

#include "jbuf.h"

/* The parts of a line, in order; a line may skip any of them. */
enum layout_part {
	LAYOUT_LEAD,   /* never cut */
	LAYOUT_LOCAL,  /* a column: never cut, padded to the widest */
	LAYOUT_REMOTE, /* the same */
	LAYOUT_TAIL,   /* what goes when the line is too long */
};

struct layout;

/*
 * Lines for out, cut to width display columns (0: never cut) with an
 * ellipsis ("..." or, with utf8, U+2026). With keep, lines wait for
 * layout_flush; else each is written as it ends.
 */
struct layout *layout_open(FILE *out, int width, int utf8, int keep);

/*
 * Starts a line in its lead part; with columns, its local and remote
 * parts are padded to the widest of the lines written together. Returns
 * where the line's text is to be appended.
 */
struct jbuf *layout_line(struct layout *lo, int columns);

/* What is appended next belongs to part (a later one than the current). */
void layout_part(struct layout *lo, enum layout_part part);

/* Ends the line: written now, unless kept. */
void layout_end(struct layout *lo);

/* Starts a block of kept lines (a group's), ordered by key at the flush. */
void layout_block(struct layout *lo, long long key);

/*
 * Writes the kept lines: those before the first block, then with sorted
 * the blocks by key, largest first (else in order), at most top of them
 * (0: all); from then on, lines are written as they end.
 */
void layout_flush(struct layout *lo, int sorted, size_t top);

/* Writes what is kept and frees the layout. */
void layout_close(struct layout *lo);

#endif
