/* SPDX-License-Identifier: ISC */
/*
 * layout.c - the table's lines as ss lays them out: all of a listing's
 * lines kept as text in one arena, so that each address column is as
 * wide as the widest address it holds, then written, cut to the width
 * of the terminal when there is one.
 */
#include "layout.h"

#include <err.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "conn.h"
#include "grow.h"
#include "utf8.h"

/* What the arena holds before each line's text. */
struct lo_line {
	uint32_t len[4]; /* bytes of each part, enum layout_part */
	uint16_t w[2];	 /* display columns of the local and remote parts */
	uint8_t columns;
};

/* A group's lines, for --sort and --top; block 0 is all the others. */
struct lo_block {
	size_t off, end; /* its lines in the arena */
	long long key;
	unsigned lw, rw; /* its widest local and remote part */
};

struct layout {
	FILE *out;
	unsigned width; /* 0: nothing is cut */
	int keep;
	const char *ell; /* the ellipsis and its columns */
	unsigned ellw;
	struct jbuf text; /* the arena: lines, each a lo_line and its text */
	size_t at;	  /* the current line's lo_line in it */
	size_t part_at;	  /* where its current part starts */
	enum layout_part part;
	struct lo_line cur;
	struct lo_block *blocks;
	size_t nblocks, cap;
	unsigned lw, rw; /* the columns' widths when lines are written */
	char lead[64];	 /* the last lead measured, and its columns */
	size_t lead_len;
	unsigned lead_cols;
};

static void lo_oom(void) __attribute__((noreturn));

static void lo_oom(void)
{
	errx(EXIT_DAEMON_ERROR, "out of memory");
}

struct layout *layout_open(FILE *out, int width, int utf8, int keep)
{
	struct layout *lo = calloc(1, sizeof(*lo));

	if (!lo || grow(&lo->blocks, &lo->cap, 0, sizeof(*lo->blocks), 64) < 0)
		lo_oom();
	lo->nblocks = 1;
	lo->out = out;
	lo->width = width > 0 ? (unsigned)width : 0;
	lo->keep = keep;
	lo->ell = utf8 ? "\u2026" : "...";
	lo->ellw = utf8 ? 1 : 3;
	return lo;
}

/* The columns a character takes (a wide one two, a combining one 0). */
static unsigned lo_char_cols(const unsigned char *p, size_t n)
{
	static const unsigned char lead_bits[] = { 0, 0, 0x1f, 0x0f, 0x07 };
	wchar_t wc = p[0] & lead_bits[n];
	size_t i;
	int w;

	for (i = 1; i < n; i++)
		wc = (wchar_t)(wc << 6 | (p[i] & 0x3f));
	w = wcwidth(wc);
	return w < 0 ? 1 : (unsigned)w;
}

/*
 * The length of the unit s starts (n bytes left) and its columns: a
 * printable ASCII byte, a colour escape (none: ESC [ ... final byte),
 * or a UTF-8 character. render_safe() has escaped anything else.
 */
static size_t lo_step(const unsigned char *s, size_t n, unsigned *cols)
{
	size_t k;

	*cols = 1;
	if (*s >= 0x20 && *s < 0x7f)
		return 1;
	if (*s == 0x1b && n > 1 && s[1] == '[') {
		for (k = 2; k < n && (s[k] < 0x40 || s[k] > 0x7e); k++)
			;
		*cols = 0;
		return k < n ? k + 1 : n;
	}
	k = utf8_seq(s, n);
	if (k < 2)
		return 1;
	*cols = lo_char_cols(s, k);
	return k;
}

/* The display columns of n bytes of s, counted up to at most limit. */
static unsigned lo_cols(const char *s, size_t n, unsigned limit)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cols = 0, c;

	while (n > 0 && cols <= limit) {
		size_t k = lo_step(p, n, &c);

		cols += c;
		p += k;
		n -= k;
	}
	return cols;
}

static void lo_close_part(struct layout *lo)
{
	size_t n = lo->text.len - lo->part_at;
	unsigned w;

	lo->cur.len[lo->part] = (uint32_t)n;
	if (lo->part != LAYOUT_LOCAL && lo->part != LAYOUT_REMOTE)
		return;
	w = lo_cols(lo->text.p + lo->part_at, n, UINT16_MAX);
	lo->cur.w[lo->part - LAYOUT_LOCAL] =
		(uint16_t)(w > UINT16_MAX ? UINT16_MAX : w);
}

struct jbuf *layout_line(struct layout *lo, int columns)
{
	memset(&lo->cur, 0, sizeof(lo->cur));
	lo->cur.columns = columns != 0;
	lo->at = lo->text.len;
	/* room for the line's lo_line, written once its parts are known */
	jbuf_put(&lo->text, (const char *)&lo->cur, sizeof(lo->cur));
	lo->part = LAYOUT_LEAD;
	lo->part_at = lo->text.len;
	return &lo->text;
}

void layout_part(struct layout *lo, enum layout_part part)
{
	lo_close_part(lo);
	lo->part = part;
	lo->part_at = lo->text.len;
}

static void lo_spaces(struct layout *lo, unsigned n)
{
	static const char spaces[64] = "                                "
				       "                               ";

	while (n > 0) {
		unsigned k = n < sizeof(spaces) ? n : sizeof(spaces);

		fwrite_unlocked(spaces, 1, k, lo->out);
		n -= k;
	}
}

/* A line that fits: its parts, the columns padded. */
static void lo_write_whole(struct layout *lo, const struct lo_line *h,
			   const char *s)
{
	if (!h->columns) {
		fwrite_unlocked(s, 1, (size_t)h->len[0] + h->len[3], lo->out);
	} else {
		size_t lead = (size_t)h->len[0] + h->len[1];

		fwrite_unlocked(s, 1, lead, lo->out);
		lo_spaces(lo, lo->lw - h->w[0] + 1);
		fwrite_unlocked(s + lead, 1, h->len[2], lo->out);
		lo_spaces(lo, lo->rw - h->w[1]);
		fwrite_unlocked(s + lead + h->len[2], 1, h->len[3], lo->out);
	}
	putc_unlocked('\n', lo->out);
}

/* An escape that ends the colours: ESC [ m or ESC [ 0 m. */
static int lo_is_reset(const unsigned char *p, size_t k)
{
	return (k == 3 && p[2] == 'm') ||
	       (k == 4 && p[2] == '0' && p[3] == 'm');
}

/* What is left of a line being cut: columns, and a colour left on. */
struct lo_room {
	unsigned cols;
	int painted;
};

/*
 * Writes n bytes of s while their columns fit in the room; returns 0
 * when a character did not. Never splits a character or an escape.
 */
static int lo_put_fitting(struct layout *lo, const char *s, size_t n,
			  struct lo_room *r)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c;

	while (n > 0) {
		size_t k = lo_step(p, n, &c);

		if (c > r->cols)
			return 0;
		if (*p == 0x1b)
			r->painted = !lo_is_reset(p, k);
		fwrite_unlocked(p, 1, k, lo->out);
		r->cols -= c;
		p += k;
		n -= k;
	}
	return 1;
}

static void lo_pad_fitting(struct layout *lo, unsigned n, struct lo_room *r)
{
	n = n < r->cols ? n : r->cols;
	lo_spaces(lo, n);
	r->cols -= n;
}

/*
 * A line too long for the width, cut where the ellipsis still fits, but
 * never before keep columns: an address is never cut, only what follows.
 */
static void lo_write_cut(struct layout *lo, const struct lo_line *h,
			 const char *s, unsigned keep)
{
	struct lo_room r = { lo->width > keep + lo->ellw ? lo->width - lo->ellw
							 : keep,
			     0 };
	const char *tail = s + h->len[0] + h->len[1] + h->len[2];
	int whole;

	if (h->columns) {
		fwrite_unlocked(s, 1, (size_t)h->len[0] + h->len[1], lo->out);
		lo_spaces(lo, lo->lw - h->w[0] + 1);
		fwrite_unlocked(s + h->len[0] + h->len[1], 1, h->len[2],
				lo->out);
		r.cols -= keep;
		lo_pad_fitting(lo, lo->rw - h->w[1], &r);
		whole = lo_put_fitting(lo, tail, h->len[3], &r);
	} else {
		whole = lo_put_fitting(lo, s, h->len[0], &r) &&
			lo_put_fitting(lo, tail, h->len[3], &r);
	}
	if (r.painted)
		fputs_unlocked("\033[0m", lo->out);
	if (!whole)
		fputs_unlocked(lo->ell, lo->out);
	putc_unlocked('\n', lo->out);
}

/* The columns of a line's lead: most are the same as the line's before. */
static unsigned lo_lead_cols(struct layout *lo, const char *s, size_t n)
{
	unsigned cols;

	if (n == lo->lead_len && !memcmp(s, lo->lead, n))
		return lo->lead_cols;
	cols = lo_cols(s, n, UINT_MAX - 1);
	if (n <= sizeof(lo->lead)) {
		memcpy(lo->lead, s, n);
		lo->lead_len = n;
		lo->lead_cols = cols;
	}
	return cols;
}

/* One line, cut when it is longer than the width. */
static void lo_write(struct layout *lo, const struct lo_line *h, const char *s)
{
	unsigned cols = h->columns ? lo->lw + 1 + lo->rw : 0, lead, keep, all;

	/* a character takes no more columns than its bytes: it fits */
	if (!lo->width || (size_t)h->len[0] + cols + h->len[3] <= lo->width) {
		lo_write_whole(lo, h, s);
		return;
	}
	lead = lo_lead_cols(lo, s, h->len[0]);
	keep = h->columns ? lead + lo->lw + 1 + h->w[1] : lead;
	all = lead + cols +
	      lo_cols(s + h->len[0] + h->len[1] + h->len[2], h->len[3],
		      lo->width);
	if (all <= lo->width)
		lo_write_whole(lo, h, s);
	else
		lo_write_cut(lo, h, s, keep);
}

static unsigned lo_max(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

void layout_end(struct layout *lo)
{
	struct lo_block *b = &lo->blocks[lo->nblocks - 1];

	lo_close_part(lo);
	if (lo->text.oom)
		lo_oom();
	memcpy(lo->text.p + lo->at, &lo->cur, sizeof(lo->cur));
	if (lo->cur.columns) {
		b->lw = lo_max(b->lw, lo->cur.w[0]);
		b->rw = lo_max(b->rw, lo->cur.w[1]);
	}
	if (lo->keep)
		return;
	lo->lw = lo_max(lo->lw, b->lw);
	lo->rw = lo_max(lo->rw, b->rw);
	lo_write(lo, &lo->cur, lo->text.p + lo->at + sizeof(lo->cur));
	lo->text.len = 0;
}

void layout_block(struct layout *lo, long long key)
{
	struct lo_block *b;

	lo->blocks[lo->nblocks - 1].end = lo->text.len;
	if (grow(&lo->blocks, &lo->cap, lo->nblocks, sizeof(*lo->blocks), 64) <
	    0)
		lo_oom();
	b = &lo->blocks[lo->nblocks++];
	memset(b, 0, sizeof(*b));
	b->off = lo->text.len;
	b->key = key;
}

/* Larger keys first; blocks of one key in the order they came. */
static int lo_block_cmp(const void *a, const void *b)
{
	const struct lo_block *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return (x->off > y->off) - (x->off < y->off);
}

static void lo_write_block(struct layout *lo, const struct lo_block *b)
{
	size_t off = b->off;

	while (off < b->end) {
		struct lo_line h;
		size_t n;

		memcpy(&h, lo->text.p + off, sizeof(h));
		off += sizeof(h);
		lo_write(lo, &h, lo->text.p + off);
		n = (size_t)h.len[0] + h.len[1] + h.len[2] + h.len[3];
		off += n;
	}
}

void layout_flush(struct layout *lo, int sorted, size_t top)
{
	size_t n = lo->nblocks - 1, i;

	lo->blocks[lo->nblocks - 1].end = lo->text.len;
	if (sorted && n > 1)
		qsort(lo->blocks + 1, n, sizeof(*lo->blocks), lo_block_cmp);
	if (top && top < n)
		n = top;
	for (i = 0; i <= n; i++) {
		lo->lw = lo_max(lo->lw, lo->blocks[i].lw);
		lo->rw = lo_max(lo->rw, lo->blocks[i].rw);
	}
	for (i = 0; i <= n; i++)
		lo_write_block(lo, &lo->blocks[i]);
	lo->keep = 0;
	lo->text.len = 0;
	lo->nblocks = 1;
	memset(lo->blocks, 0, sizeof(*lo->blocks));
}

void layout_close(struct layout *lo)
{
	if (!lo)
		return;
	if (lo->keep)
		layout_flush(lo, 0, 0);
	jbuf_free(&lo->text);
	free(lo->blocks);
	free(lo);
}
