/* SPDX-License-Identifier: ISC */
/* scan.c - the poll: sock_diag dump into a fresh, immutable snapshot. */
#include "scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "picture.h"
#include "privs.h"
#include "diag.h"
#include "log.h"
#include "users.h"

#include <fcntl.h>
#include <sys/mman.h>

/* 1 when the daemon is in group gid, its own or a supplementary one. */
static int scan_in_group(unsigned long gid)
{
	gid_t groups[256];
	int n = getgroups(256, groups), i;

	if (getegid() == gid)
		return 1;
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

/*
 * /proc mounted with hidepid= other than 0 hides other users' processes
 * from a reader without CAP_SYS_PTRACE outside its gid= group: their
 * sockets would go unowned without a word. Finds that out once, into
 * sc->hidepid (empty when nothing is hidden from us).
 */
static void scan_check_hidepid(struct scanner *sc)
{
	char line[4096], *opt;
	unsigned long gid = (unsigned long)-1;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	sc->hidepid[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - proc ");

		/* field 5 is the mount point: " /proc " after four fields */
		if (!sep || !strstr(line, " /proc ") ||
		    strstr(line, " /proc ") > sep)
			continue;
		opt = strstr(sep, "hidepid=");
		if (opt &&
		    sscanf(opt, "hidepid=%15[^, \n]", sc->hidepid) == 1 &&
		    (strcmp(sc->hidepid, "0") == 0 ||
		     strcmp(sc->hidepid, "off") == 0))
			sc->hidepid[0] = '\0';
		opt = strstr(sep, ",gid=");
		if (opt)
			sscanf(opt, ",gid=%lu", &gid);
	}
	fclose(f);
	if (sc->hidepid[0] &&
	    (privs_has_ptrace() ||
	     (gid != (unsigned long)-1 && scan_in_group(gid))))
		sc->hidepid[0] = '\0';
}

int scan_init(struct scanner *sc, struct links *links, int attribute)
{
	memset(sc, 0, sizeof(*sc));
	sc->links = links;
	if (gethostname(sc->host, sizeof(sc->host) - 1) < 0)
		strcpy(sc->host, "localhost");
	if (attribute) {
		sc->procs = procs_open("/proc");
		sc->users = sc->procs ? users_open() : NULL;
		if (sc->users)
			procs_set_namer(sc->procs, users_name, sc->users);
		else if (sc->procs)
			log_warnx("no thread for user names (%s): looking them "
				  "up in the poll",
				  strerror(errno));
		if (!sc->procs)
			log_warnx("cannot open /proc (%s): no process "
				  "attribution",
				  strerror(errno));
		scan_check_hidepid(sc);
		if (sc->procs && sc->hidepid[0])
			log_warnx(
				"/proc is mounted with hidepid=%s: other "
				"users' processes are hidden from sockwatchd, "
				"and their sockets will have no owner",
				sc->hidepid);
	}
	sc->diag = diag_open();
	return sc->diag ? 0 : -1;
}

/* Who holds which socket: the map brought up to date, then copied. */
static void scan_attribute(struct scanner *sc, struct picture_parts *pp)
{
	uint64_t start = clock_mono_us();

	if (!sc->procs)
		return;
	sc->attr_failed = procs_update(sc->procs, pp->recs, pp->n) < 0 ||
			  picture_parts_owners(pp, sc->procs) < 0;
	procs_answered(sc->procs);
	if (sc->attr_failed)
		log_warnx("process attribution failed: %s", strerror(errno));
	sc->attr_us = clock_mono_us() - start;
}

/* Logs a failure once, not on every poll while it lasts. */
static int scan_failed(struct scanner *sc, const char *what)
{
	sc->errors++;
	if (errno != sc->last_errno)
		log_err("poll failed (%s): %s; serving the previous picture",
			what, strerror(errno));
	sc->last_errno = errno ? errno : EIO;
	return -1;
}

/*
 * Seals a memfd the poller has written and unmapped, so that the
 * server may trust what it checked once: nobody can change, shrink or
 * grow it any more.
 */
static int scan_seal(int fd)
{
	return fcntl(fd, F_ADD_SEALS,
		     F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
}

/* Writes a blob of its own into dst. */
typedef void (*scan_writer)(const void *src, void *dst);

/*
 * size bytes that write puts in a memfd of their own, sealed so that the
 * server may trust what it checked once: nobody can change, shrink or
 * grow them any more.
 */
static int scan_memfd(const char *name, size_t size, scan_writer write,
		      const void *src)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p;

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0)
		goto fail;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	write(src, p);
	munmap(p, size);
	if (scan_seal(fd) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* A listener of the last picture: its cookie, its overlay entry. */
struct scan_listener {
	uint64_t cookie;
	uint32_t entry;
};

static int scan_by_cookie(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void scan_index_free(struct scan_index *ix)
{
	free(ix->lis);
	free(ix->lent);
	memset(ix, 0, sizeof(*ix));
}

/* The listeners of the picture just taken, into sc->next. */
static void scan_index(struct scanner *sc, const struct sock_rec *recs,
		       size_t n)
{
	struct scan_index *ix = &sc->next;
	size_t i, k = 0, count = 0;

	scan_index_free(ix);
	for (i = 0; i < n; i++)
		count += (size_t)rec_is_listener(&recs[i]);
	ix->lis = malloc((count ? count : 1) * sizeof(*ix->lis));
	ix->lent = malloc((count ? count : 1) * sizeof(*ix->lent));
	if (!ix->lis || !ix->lent) {
		scan_index_free(ix);
		log_warnx("no memory for the listeners of the picture: "
			  "they are fresh only as often as it is");
		return;
	}
	for (i = 0; i < n; i++) {
		if (!rec_is_listener(&recs[i]))
			continue;
		ix->lent[k].rec = (uint32_t)i;
		ix->lis[k].cookie = recs[i].cookie;
		ix->lis[k].entry = (uint32_t)k;
		k++;
	}
	qsort(ix->lis, count, sizeof(*ix->lis), scan_by_cookie);
	ix->n = count;
	ix->generation = sc->generation + 1; /* the picture's, once out */
	ix->ok = 1;
}

void scan_publish(struct scanner *sc)
{
	scan_index_free(&sc->cur);
	sc->cur = sc->next;
	memset(&sc->next, 0, sizeof(sc->next));
}

/*
 * The memfd a picture is dumped into: its records go straight to where
 * the blob has them, and the rest is written after them once known. A
 * copy of every record would cost 64 bytes a socket at the peak.
 */
struct scan_arena {
	int fd;
	uint8_t *base;
	size_t len;
};

static int scan_arena_resize(struct scan_arena *a, size_t len)
{
	void *p;

	if (ftruncate(a->fd, (off_t)len) < 0)
		return -1;
	p = a->base ? mremap(a->base, a->len, len, MREMAP_MAYMOVE)
		    : mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd,
			   0);
	if (p == MAP_FAILED)
		return -1;
	a->base = p;
	a->len = len;
	return 0;
}

/* diag_result's grow: room for need records and a quarter more. */
static int scan_arena_grow(struct diag_result *res, size_t need, void *ctx)
{
	struct scan_arena *a = ctx;
	size_t off = picture_recs_offset();
	size_t recs = need + need / 4 + 1024;

	if (scan_arena_resize(a, off + recs * sizeof(struct sock_rec)) < 0)
		return -1;
	res->recs = (struct sock_rec *)(void *)(a->base + off);
	res->cap = recs;
	return 0;
}

static int scan_arena_open(struct scanner *sc, struct scan_arena *a)
{
	a->base = NULL;
	a->len = 0;
	a->fd = memfd_create("sockwatch-picture",
			     MFD_CLOEXEC | MFD_ALLOW_SEALING);
	sc->res.recs = NULL;
	sc->res.n = sc->res.cap = 0;
	sc->res.grow = scan_arena_grow;
	sc->res.grow_ctx = a;
	if (a->fd < 0)
		return -1;
	return scan_arena_grow(&sc->res, sc->last_n, a);
}

/* Done with the arena: unmapped, and its fd closed unless kept. */
static void scan_arena_close(struct scanner *sc, struct scan_arena *a, int keep)
{
	if (a->base)
		munmap(a->base, a->len);
	if (!keep && a->fd >= 0)
		close(a->fd);
	sc->res.recs = NULL;
	sc->res.n = sc->res.cap = 0;
	sc->res.grow = NULL;
}

/* The rest of the blob after the records; sealed, the fd returned. */
static int scan_arena_finish(struct scanner *sc, struct scan_arena *a,
			     struct picture_parts *pp)
{
	if (scan_arena_resize(a, picture_size(pp)) < 0)
		return -1;
	/* mremap may have moved the records */
	pp->recs =
		(const struct sock_rec *)(const void *)(a->base +
							picture_recs_offset());
	picture_write(pp, a->base);
	scan_index(sc, pp->recs, pp->n);
	munmap(a->base, a->len);
	a->base = NULL;
	return scan_seal(a->fd);
}

static void scan_stamp(struct scanner *sc, struct picture_parts *pp,
		       const struct timespec *taken, uint64_t start_us)
{
	pp->h.generation = sc->generation + 1;
	pp->h.taken_sec = taken->tv_sec;
	pp->h.taken_nsec = (uint32_t)taken->tv_nsec;
	pp->h.taken_mono_ms = start_us / 1000;
	pp->h.scan_us = clock_mono_us() - start_us;
	if (sc->res.flags & DIAG_UDP_UNAVAILABLE)
		pp->h.flags |= PICTURE_F_UDP_UNAVAILABLE;
}

static void scan_published(struct scanner *sc, const struct picture_parts *pp)
{
	if ((pp->h.flags & PICTURE_F_UDP_UNAVAILABLE) && !sc->udp_warned)
		log_warnx("the kernel has no UDP sock_diag (udp_diag); "
			  "showing TCP only");
	sc->udp_warned = (pp->h.flags & PICTURE_F_UDP_UNAVAILABLE) != 0;
	if (sc->last_errno)
		log_notice("poll works again");
	sc->last_errno = 0;
	sc->generation++;
	sc->last_scan_us = pp->h.scan_us;
}

int scan_run(struct scanner *sc)
{
	struct group_hosts addrs;
	const struct picture_host host = {
		.name = sc->host,
		.writer = "sockwatchd " SOCKWATCH_VERSION,
		.namer = links_name,
		.ctx = sc->links,
		.addrs = &addrs
	};
	struct picture_parts pp;
	struct scan_arena a;
	struct timespec taken;
	uint64_t start = clock_mono_us();
	int fd;

	sc->polls++;
	sc->last_start_ms = start / 1000;
	clock_gettime(CLOCK_REALTIME, &taken);
	if (scan_arena_open(sc, &a) < 0) {
		scan_arena_close(sc, &a, 0);
		return scan_failed(sc, "picture memfd");
	}
	if (diag_dump(sc->diag, &sc->res, DIAG_ALL) < 0) {
		scan_arena_close(sc, &a, 0);
		return scan_failed(sc, "sock_diag dump");
	}
	if (sc->res.retries)
		log_debug("sock_diag dump redone %u time(s)", sc->res.retries);
	sc->last_n = sc->res.n;
	links_addrs(sc->links, &addrs);
	if (picture_parts_build(&pp, sc->res.recs, sc->res.n, &host) < 0) {
		scan_arena_close(sc, &a, 0);
		return scan_failed(sc, "grouping");
	}
	scan_attribute(sc, &pp);
	scan_stamp(sc, &pp, &taken, start);
	if (scan_arena_finish(sc, &a, &pp) < 0) {
		picture_parts_free(&pp);
		scan_arena_close(sc, &a, 0);
		return scan_failed(sc, "picture memfd");
	}
	fd = a.fd;
	scan_arena_close(sc, &a, 1);
	scan_published(sc, &pp);
	picture_parts_free(&pp);
	return fd;
}

/* Marks the picture's listeners as the listeners-only dump saw them. */
static void scan_match_listeners(struct scanner *sc)
{
	size_t i;

	sc->added = 0;
	for (i = 0; i < sc->cur.n; i++)
		sc->cur.lent[i].flags = OVERLAY_F_GONE;
	for (i = 0; i < sc->lres.n; i++) {
		const struct sock_rec *r = &sc->lres.recs[i];
		const struct scan_listener *l;

		if (!rec_is_listener(r))
			continue;
		l = bsearch(&r->cookie, sc->cur.lis, sc->cur.n, sizeof(*l),
			    scan_by_cookie);
		if (!l) {
			sc->added++;
			continue;
		}
		sc->cur.lent[l->entry].flags = 0;
		sc->cur.lent[l->entry].rqueue = r->rqueue;
		sc->cur.lent[l->entry].wqueue = r->wqueue;
	}
}

/* What an overlay's blob is made of. */
struct scan_overlay {
	struct overlay_header h;
	const struct overlay_entry *e;
};

static void scan_overlay_writer(const void *src, void *dst)
{
	const struct scan_overlay *o = src;

	memcpy(dst, &o->h, sizeof(o->h));
	if (o->h.count)
		memcpy((char *)dst + sizeof(o->h), o->e,
		       o->h.count * sizeof(*o->e));
}

/*
 * The listeners' own account, apart from the full polls' which another
 * thread may be keeping meanwhile.
 */
static int scan_listeners_failed(struct scanner *sc)
{
	sc->listener_errors++;
	if (errno != sc->listener_errno)
		log_err("listeners-only poll failed: %s", strerror(errno));
	sc->listener_errno = errno ? errno : EIO;
	return -1;
}

int scan_listeners(struct scanner *sc)
{
	struct scan_overlay o = { .e = sc->cur.lent };
	struct timespec taken;
	uint64_t start = clock_mono_us();
	int fd;

	if (!sc->cur.ok) {
		errno = ENODATA;
		return -1; /* no picture, or no index of its listeners */
	}
	clock_gettime(CLOCK_REALTIME, &taken);
	/* a socket of their own, opened when first needed */
	if (!sc->ldiag)
		sc->ldiag = diag_open();
	if (!sc->ldiag || diag_dump(sc->ldiag, &sc->lres, DIAG_LISTENERS) < 0)
		return scan_listeners_failed(sc);
	scan_match_listeners(sc);
	memcpy(o.h.magic, OVERLAY_MAGIC, sizeof(o.h.magic));
	o.h.version = OVERLAY_VERSION;
	o.h.count = (uint32_t)sc->cur.n;
	o.h.generation = sc->cur.generation;
	o.h.taken_sec = taken.tv_sec;
	o.h.taken_nsec = (uint32_t)taken.tv_nsec;
	o.h.added = sc->added;
	o.h.taken_mono_ms = start / 1000;
	o.h.scan_us = clock_mono_us() - start;
	fd = scan_memfd("sockwatch-listeners", overlay_size(sc->cur.n),
			scan_overlay_writer, &o);
	if (fd < 0)
		return scan_listeners_failed(sc);
	sc->listener_errno = 0;
	sc->listener_polls++;
	sc->listener_scan_us = o.h.scan_us;
	return fd;
}

void scan_status_listeners(const struct scanner *sc, struct ipc_status *st)
{
	st->listener_polls = sc->listener_polls;
	st->listener_scan_us = sc->listener_scan_us;
	st->listener_errors = sc->listener_errors;
}

void scan_status(const struct scanner *sc, struct ipc_status *st)
{
	struct procs_stats ps;

	memset(st, 0, sizeof(*st));
	st->polls = sc->polls;
	st->errors = sc->errors;
	st->last_scan_us = sc->last_scan_us;
	st->generation = sc->generation;
	st->poll_start_ms = sc->last_start_ms;
	st->poll_errno = sc->last_errno;
	scan_status_listeners(sc, st);
	st->pid = (int32_t)getpid();
	st->attribution = IPC_ATTR_OFF;
	if (!sc->procs)
		return;
	procs_stats(sc->procs, &ps);
	st->procs_known = ps.procs;
	st->procs_denied = ps.denied;
	st->sockets_unowned = ps.unresolved;
	st->attr_us = sc->attr_us;
	st->has_caps = (uint32_t)privs_can_attribute();
	st->attribution = IPC_ATTR_PARTIAL;
	snprintf(st->hidepid, sizeof(st->hidepid), "%s", sc->hidepid);
	if (sc->attr_failed)
		st->why = IPC_WHY_OOM;
	else if (sc->hidepid[0])
		st->why = IPC_WHY_HIDEPID;
	else if (ps.denied)
		st->why = IPC_WHY_DENIED;
	else
		st->attribution = IPC_ATTR_COMPLETE;
}

void scan_fini(struct scanner *sc)
{
	diag_result_free(&sc->res);
	diag_result_free(&sc->lres);
	scan_index_free(&sc->cur);
	scan_index_free(&sc->next);
	diag_close(sc->diag);
	diag_close(sc->ldiag);
	sc->diag = sc->ldiag = NULL;
	procs_close(sc->procs);
	sc->procs = NULL;
	users_close(sc->users);
	sc->users = NULL;
}
