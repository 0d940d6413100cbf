/* SPDX-License-Identifier: ISC */
/*
 * picture.c - a picture laid out as one blob, and checked before use. The
 * server trusts no offset it did not check: a recording may come from
 * anywhere, and a picture is read by the process that talks to clients.
 */
#include "picture.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

/* The layout a recording depends on: a change here is a new version. */
_Static_assert(sizeof(struct sock_rec) == 72, "sock_rec layout");
_Static_assert(sizeof(struct sockgroup) == 44, "sockgroup layout");
_Static_assert(sizeof(struct group_tally) == 4 + 4 * REC_NTALLY,
	       "group_tally layout");
_Static_assert(sizeof(struct picture_proc) == 24, "picture_proc layout");
_Static_assert(sizeof(struct picture_dev) == 8, "picture_dev layout");
_Static_assert(sizeof(struct picture_header) == 72 + 16 * PICTURE_NSECTIONS,
	       "picture_header layout");

#define PICTURE_ALIGN 8
#define PICTURE_MAX_SEC 253402300799LL /* 9999-12-31T23:59:59Z */

static const size_t elem_size[PICTURE_NSECTIONS] = {
	[PICTURE_RECS] = sizeof(struct sock_rec),
	[PICTURE_GROUPS] = sizeof(struct sockgroup),
	[PICTURE_TALLIES] = sizeof(struct group_tally),
	[PICTURE_ORDER] = sizeof(uint32_t),
	[PICTURE_OWNER_AT] = sizeof(uint32_t),
	[PICTURE_OWNER_IDX] = sizeof(uint32_t),
	[PICTURE_PROCS] = sizeof(struct picture_proc),
	[PICTURE_DEVS] = sizeof(struct picture_dev),
	[PICTURE_STRINGS] = 1,
};

static int dev_cmp(const void *a, const void *b)
{
	const struct picture_dev *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

static int parts_has_dev(const struct picture_parts *pp, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < pp->ndevs; i++)
		if (pp->devs[i].ifindex == ifindex)
			return 1;
	return 0;
}

/* The names of the few devices sockets are bound to, as they are now. */
static int parts_name_devs(struct picture_parts *pp, picture_namer namer,
			   void *ctx)
{
	size_t i, cap = 0;
	char name[16];

	for (i = 0; i < pp->n; i++) {
		uint32_t idx = pp->recs[i].ifindex;
		const char *s;

		if (!idx || parts_has_dev(pp, idx))
			continue;
		if (grow(&pp->devs, &cap, pp->ndevs, sizeof(*pp->devs), 4) < 0)
			return -1;
		s = namer ? namer(ctx, idx) : NULL;
		if (s) /* the kernel's IFNAMSIZ, whatever the namer says */
			snprintf(name, sizeof(name), "%s", s);
		pp->devs[pp->ndevs].ifindex = idx;
		pp->devs[pp->ndevs++].name =
			strpool_add(&pp->strings, s ? name : NULL);
	}
	if (pp->ndevs)
		qsort(pp->devs, pp->ndevs, sizeof(*pp->devs), dev_cmp);
	return strpool_failed(&pp->strings) ? -1 : 0;
}

int picture_parts_build(struct picture_parts *pp, const struct sock_rec *recs,
			size_t n, const struct picture_host *host)
{
	memset(pp, 0, sizeof(*pp));
	pp->recs = recs;
	pp->n = n;
	memcpy(pp->h.magic, PICTURE_MAGIC, sizeof(pp->h.magic));
	pp->h.version = PICTURE_VERSION;
	pp->h.byte_order = PICTURE_BYTE_ORDER;
	pp->h.host = strpool_add(&pp->strings, host->name ? host->name : "");
	pp->h.writer =
		strpool_add(&pp->strings, host->writer ? host->writer : "");
	if (strpool_failed(&pp->strings) ||
	    group_build(recs, n, host->addrs, &pp->grouping) < 0 ||
	    parts_name_devs(pp, host->namer, host->ctx) < 0) {
		picture_parts_free(pp);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int picture_parts_owners(struct picture_parts *pp, const struct procs *p)
{
	owners_free(&pp->owners);
	pp->attributed = 0;
	if (owners_build(&pp->owners, pp->recs, pp->n, p, &pp->strings) < 0)
		return -1;
	if (strpool_failed(&pp->strings)) {
		owners_free(&pp->owners);
		errno = ENOMEM;
		return -1;
	}
	pp->attributed = 1;
	return 0;
}

/* Where each section goes and how many elements it holds. */
static void parts_layout(const struct picture_parts *pp,
			 struct picture_span *sect)
{
	const size_t counts[PICTURE_NSECTIONS] = {
		[PICTURE_RECS] = pp->n,
		[PICTURE_GROUPS] = pp->grouping.ngroups,
		[PICTURE_TALLIES] = pp->grouping.ntallies,
		[PICTURE_ORDER] = pp->n,
		[PICTURE_OWNER_AT] = pp->attributed ? pp->n + 1 : 0,
		[PICTURE_OWNER_IDX] = pp->attributed ? pp->owners.nidx : 0,
		[PICTURE_PROCS] = pp->attributed ? pp->owners.nprocs : 0,
		[PICTURE_DEVS] = pp->ndevs,
		[PICTURE_STRINGS] = pp->strings.len,
	};
	uint64_t off = sizeof(struct picture_header);
	int i;

	for (i = 0; i < PICTURE_NSECTIONS; i++) {
		off = (off + PICTURE_ALIGN - 1) &
		      ~(uint64_t)(PICTURE_ALIGN - 1);
		sect[i].off = off;
		sect[i].count = counts[i];
		off += counts[i] * elem_size[i];
	}
}

size_t picture_size(const struct picture_parts *pp)
{
	struct picture_span sect[PICTURE_NSECTIONS];
	const struct picture_span *last = &sect[PICTURE_NSECTIONS - 1];
	size_t end;

	parts_layout(pp, sect);
	end = last->off + last->count * elem_size[PICTURE_NSECTIONS - 1];
	return (end + PICTURE_ALIGN - 1) & ~(size_t)(PICTURE_ALIGN - 1);
}

static void put(uint8_t *dst, const struct picture_span *s, const void *src,
		size_t size)
{
	if (s->count)
		memcpy(dst + s->off, src, s->count * size);
}

size_t picture_recs_offset(void)
{
	return (sizeof(struct picture_header) + PICTURE_ALIGN - 1) &
	       ~(size_t)(PICTURE_ALIGN - 1);
}

void picture_write(const struct picture_parts *pp, void *dst)
{
	struct picture_header h = pp->h;
	uint8_t *d = dst;
	const struct picture_span *s = h.sect;
	size_t recs_end;

	parts_layout(pp, h.sect);
	h.size = picture_size(pp);
	h.flags &= ~(uint32_t)PICTURE_F_ATTRIBUTED;
	if (pp->attributed)
		h.flags |= PICTURE_F_ATTRIBUTED;
	recs_end = s[PICTURE_RECS].off + pp->n * sizeof(*pp->recs);
	if ((const void *)pp->recs == d + s[PICTURE_RECS].off) {
		/* dumped in place: everything but the records is written */
		memset(d, 0, s[PICTURE_RECS].off);
		memset(d + recs_end, 0, h.size - recs_end);
	} else {
		memset(d, 0, h.size);
		put(d, &s[PICTURE_RECS], pp->recs, sizeof(*pp->recs));
	}
	memcpy(d, &h, sizeof(h));
	put(d, &s[PICTURE_GROUPS], pp->grouping.groups,
	    sizeof(*pp->grouping.groups));
	put(d, &s[PICTURE_TALLIES], pp->grouping.tallies,
	    sizeof(*pp->grouping.tallies));
	put(d, &s[PICTURE_ORDER], pp->grouping.order, sizeof(uint32_t));
	put(d, &s[PICTURE_OWNER_AT], pp->owners.at, sizeof(uint32_t));
	put(d, &s[PICTURE_OWNER_IDX], pp->owners.idx, sizeof(uint32_t));
	put(d, &s[PICTURE_PROCS], pp->owners.procs, sizeof(*pp->owners.procs));
	put(d, &s[PICTURE_DEVS], pp->devs, sizeof(*pp->devs));
	put(d, &s[PICTURE_STRINGS], pp->strings.p, 1);
}

void *picture_blob(const struct picture_parts *pp, size_t *len)
{
	void *p;

	*len = picture_size(pp);
	p = aligned_alloc(PICTURE_ALIGN, *len);
	if (p)
		picture_write(pp, p);
	return p;
}

void picture_parts_free(struct picture_parts *pp)
{
	group_free(&pp->grouping);
	owners_free(&pp->owners);
	free(pp->devs);
	strpool_free(&pp->strings);
	memset(pp, 0, sizeof(*pp));
}

/* Reading: every check a stranger's blob has to pass. */

__attribute__((format(printf, 3, 4))) static int bad(char *err, size_t errsz,
						     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	errno = EBADMSG;
	return -1;
}

static const char *const section_name[PICTURE_NSECTIONS] = {
	"records", "groups",	"counts",  "order",   "owner index",
	"owners",  "processes", "devices", "strings",
};

static int open_sections(struct picture *p, const uint8_t *base, size_t len,
			 char *err, size_t errsz)
{
	const void *at[PICTURE_NSECTIONS];
	int i;

	for (i = 0; i < PICTURE_NSECTIONS; i++) {
		const struct picture_span *s = &p->h->sect[i];

		if (s->off % PICTURE_ALIGN || s->off > len ||
		    s->count > (len - s->off) / elem_size[i])
			return bad(err, errsz, "%s lie outside the picture",
				   section_name[i]);
		at[i] = base + s->off;
	}
	p->recs = at[PICTURE_RECS];
	p->n = p->h->sect[PICTURE_RECS].count;
	p->groups = at[PICTURE_GROUPS];
	p->ngroups = p->h->sect[PICTURE_GROUPS].count;
	p->tallies = at[PICTURE_TALLIES];
	p->ntallies = p->h->sect[PICTURE_TALLIES].count;
	p->order = at[PICTURE_ORDER];
	p->norder = p->h->sect[PICTURE_ORDER].count;
	p->owner_at = p->h->sect[PICTURE_OWNER_AT].count ? at[PICTURE_OWNER_AT]
							 : NULL;
	p->owner_idx = at[PICTURE_OWNER_IDX];
	p->procs = at[PICTURE_PROCS];
	p->nprocs = p->h->sect[PICTURE_PROCS].count;
	p->devs = at[PICTURE_DEVS];
	p->ndevs = p->h->sect[PICTURE_DEVS].count;
	p->strings = at[PICTURE_STRINGS];
	p->strsize = p->h->sect[PICTURE_STRINGS].count;
	return 0;
}

static int str_ok(const struct picture *p, uint32_t off, int may_be_none)
{
	return off == PICTURE_NOSTR ? may_be_none : off < p->strsize;
}

static int open_strings(const struct picture *p, char *err, size_t errsz)
{
	size_t i;

	if (!p->strsize || p->strings[p->strsize - 1] != '\0')
		return bad(err, errsz, "the strings are not terminated");
	if (!str_ok(p, p->h->host, 0))
		return bad(err, errsz, "the host name is out of bounds");
	if (!str_ok(p, p->h->writer, 0))
		return bad(err, errsz, "the writer's name is out of bounds");
	for (i = 0; i < p->ndevs; i++)
		if (!str_ok(p, p->devs[i].name, 1) ||
		    (i && p->devs[i].ifindex <= p->devs[i - 1].ifindex))
			return bad(err, errsz, "device %zu is malformed", i);
	for (i = 0; i < p->nprocs; i++) {
		const struct picture_proc *pr = &p->procs[i];

		if (!str_ok(p, pr->comm, 0) || !str_ok(p, pr->user, 1) ||
		    !str_ok(p, pr->unit, 1) || !str_ok(p, pr->container, 1))
			return bad(err, errsz, "process %zu is malformed", i);
	}
	return 0;
}

/* Every group's members lie in order, and order names records. */
static int open_groups(struct picture *p, char *err, size_t errsz)
{
	size_t i;

	if (p->norder != p->n)
		return bad(err, errsz, "%zu records but %zu in order", p->n,
			   p->norder);
	for (i = 0; i < p->norder; i++)
		if (p->order[i] >= p->n)
			return bad(err, errsz, "order names record %u of %zu",
				   (unsigned)p->order[i], p->n);
	for (i = 0; i < p->ngroups; i++) {
		const struct sockgroup *g = &p->groups[i];
		uint64_t end = (uint64_t)g->first + g->nsock + g->nconn;

		if (end > p->norder || g->ep.role > GROUP_OUTBOUND)
			return bad(err, errsz, "group %zu is malformed", i);
	}
	return 0;
}

/* Each large group's counts once, in order, adding up to its size. */
static int open_tallies(struct picture *p, char *err, size_t errsz)
{
	size_t i, k;

	for (i = 0; i < p->ntallies; i++) {
		const struct group_tally *t = &p->tallies[i];
		uint64_t sum = 0;

		if (t->group >= p->ngroups ||
		    (i && t->group <= p->tallies[i - 1].group))
			return bad(err, errsz, "counts %zu name no group", i);
		for (k = 0; k < REC_NTALLY; k++)
			sum += t->count[k];
		if (sum != p->groups[t->group].nconn)
			return bad(err, errsz,
				   "the counts of group %u add up to %llu of "
				   "%u connections",
				   (unsigned)t->group, (unsigned long long)sum,
				   (unsigned)p->groups[t->group].nconn);
	}
	return 0;
}

static int open_owners(struct picture *p, char *err, size_t errsz)
{
	size_t i, nidx = p->h->sect[PICTURE_OWNER_IDX].count;

	if (!p->owner_at)
		return nidx || p->nprocs
			       ? bad(err, errsz, "owners without an index")
			       : 0;
	if (p->h->sect[PICTURE_OWNER_AT].count != p->n + 1 ||
	    p->owner_at[0] != 0 || p->owner_at[p->n] != nidx)
		return bad(err, errsz, "the owner index does not fit");
	for (i = 0; i < p->n; i++)
		if (p->owner_at[i] > p->owner_at[i + 1])
			return bad(err, errsz, "the owner index goes back");
	for (i = 0; i < nidx; i++)
		if (p->owner_idx[i] >= p->nprocs)
			return bad(err, errsz, "owner %zu is out of bounds", i);
	return 0;
}

static int open_header(struct picture *p, const void *blob, size_t len,
		       char *err, size_t errsz)
{
	if ((uintptr_t)blob % PICTURE_ALIGN)
		return bad(err, errsz, "the picture is not aligned");
	if (len < sizeof(struct picture_header))
		return bad(err, errsz, "%zu bytes are too short for a picture",
			   len);
	p->h = blob;
	if (memcmp(p->h->magic, PICTURE_MAGIC, sizeof(p->h->magic)) != 0)
		return bad(err, errsz, "not a sockwatch picture");
	if (p->h->byte_order != PICTURE_BYTE_ORDER)
		return bad(err, errsz,
			   "a picture of a host of another byte order");
	if (p->h->version != PICTURE_VERSION)
		return bad(err, errsz,
			   "picture version %u; this sockwatch reads %u",
			   (unsigned)p->h->version, PICTURE_VERSION);
	if (p->h->size != len)
		return bad(err, errsz, "the picture says %llu bytes, not %zu",
			   (unsigned long long)p->h->size, len);
	/* what JSON readers take as integers, and RFC 3339's years */
	if (p->h->generation > INT64_MAX || p->h->scan_us > INT64_MAX ||
	    p->h->taken_mono_ms > INT64_MAX || p->h->taken_sec < 0 ||
	    p->h->taken_sec > PICTURE_MAX_SEC || p->h->taken_nsec >= 1000000000)
		return bad(err, errsz, "the picture's times are out of range");
	return 0;
}

int picture_open(struct picture *p, const void *blob, size_t len, char *err,
		 size_t errsz)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	if (open_header(p, blob, len, err, errsz) < 0 ||
	    open_sections(p, blob, len, err, errsz) < 0 ||
	    open_strings(p, err, errsz) < 0 || open_groups(p, err, errsz) < 0 ||
	    open_tallies(p, err, errsz) < 0 || open_owners(p, err, errsz) < 0)
		return -1;
	for (i = 0; i < p->n; i++) {
		if (p->recs[i].proto == IPPROTO_TCP)
			p->ntcp++;
		else
			p->nudp++;
	}
	return 0;
}

const char *picture_str(const struct picture *p, uint32_t off)
{
	return off == PICTURE_NOSTR ? NULL : p->strings + off;
}

const char *picture_dev_name(const struct picture *p, uint32_t ifindex)
{
	size_t lo = 0, hi = p->ndevs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->devs[mid].ifindex == ifindex)
			return picture_str(p, p->devs[mid].name);
		if (p->devs[mid].ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t picture_owners(const struct picture *p, size_t i, const uint32_t **idx)
{
	if (!p->owner_at)
		return 0;
	*idx = p->owner_idx + p->owner_at[i];
	return p->owner_at[i + 1] - p->owner_at[i];
}
