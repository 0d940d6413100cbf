/* SPDX-License-Identifier: ISC */
/* scan.c - the poll: sock_diag dump into a fresh, immutable snapshot. */
#include "scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"
#include "log.h"
#include "users.h"

/* Bits of CapEff in /proc/self/status that let us read others' fds. */
#define CAP_DAC_READ_SEARCH_BIT 2
#define CAP_SYS_PTRACE_BIT 19

static uint64_t scan_caps(void)
{
	unsigned long long eff = 0;
	char line[128];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff;
}

static int scan_has_caps(void)
{
	uint64_t want = (1ull << CAP_DAC_READ_SEARCH_BIT) |
			(1ull << CAP_SYS_PTRACE_BIT);

	return (scan_caps() & want) == want;
}

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
	    ((scan_caps() & (1ull << CAP_SYS_PTRACE_BIT)) ||
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

const char *scan_attribution(const struct scanner *sc, int counts, char *note,
			     size_t notesz, const char **why)
{
	struct procs_stats st;
	char n[32] = "some";

	*why = NULL;
	if (!sc->procs)
		return "off";
	procs_stats(sc->procs, &st);
	*why = note;
	if (sc->attr_failed) {
		snprintf(note, notesz, "out of memory in the last poll");
		return "partial";
	}
	if (sc->hidepid[0]) {
		snprintf(note, notesz,
			 "/proc is mounted with hidepid=%s and sockwatchd "
			 "lacks CAP_SYS_PTRACE: other users' processes are "
			 "hidden from it",
			 sc->hidepid);
		return "partial";
	}
	if (!st.denied) {
		*why = NULL;
		return "complete";
	}
	if (counts)
		snprintf(n, sizeof(n), "%llu", (unsigned long long)st.denied);
	snprintf(note, notesz,
		 "%s processes of other users could not be read%s", n,
		 scan_has_caps() ? ""
				 : ": sockwatchd lacks CAP_DAC_READ_SEARCH "
				   "and CAP_SYS_PTRACE");
	return "partial";
}

/* Who holds which socket: the map brought up to date, then copied. */
static void scan_attribute(struct scanner *sc, struct snapshot *s)
{
	uint64_t start = clock_mono_us();

	if (!sc->procs)
		return;
	sc->attr_failed = procs_update(sc->procs, s->recs, s->n) < 0 ||
			  snapshot_attach(s, sc->procs) < 0;
	if (sc->attr_failed)
		log_warnx("process attribution failed: %s", strerror(errno));
	sc->attr_us = clock_mono_us() - start;
}

/* Logs a failure once, not on every poll while it lasts. */
static void scan_failed(struct scanner *sc, const char *what)
{
	sc->errors++;
	if (errno != sc->last_errno)
		log_err("poll failed (%s): %s; serving the previous picture",
			what, strerror(errno));
	sc->last_errno = errno;
}

/*
 * Keeps the array of a picture nobody holds any more for the next dump:
 * memory the kernel has already paged in is much cheaper to fill than a
 * fresh block of the same size, which each poll would otherwise be.
 */
static void scan_recycle(struct scanner *sc, struct snapshot *old)
{
	size_t cap;
	struct sock_rec *recs = snapshot_release(old, &cap);

	if (!recs)
		return;
	free(sc->spare);
	sc->spare = recs;
	sc->spare_cap = cap;
}

/*
 * Nobody streams the current picture: its cache's pages can take the next
 * listing. A picture nobody listed says nobody is asking: then the memory
 * goes back to the system rather than wait for a listing.
 */
static void scan_keep_cache(struct scanner *sc)
{
	if (!sc->current || sc->current->refs != 1)
		return;
	if (sc->current->cache_groups)
		snapshot_take_cache(sc->current, &sc->spare_cache);
	else
		jbuf_free(&sc->spare_cache);
}

/* An array with room for about as many records as the last picture. */
static int scan_array(struct scanner *sc, struct diag_result *res)
{
	size_t want = sc->hint + sc->hint / 8 + 64;

	if (sc->spare && sc->spare_cap >= want) {
		res->recs = sc->spare;
		res->cap = sc->spare_cap;
		sc->spare = NULL;
		return 0;
	}
	res->cap = want;
	res->recs = malloc(res->cap * sizeof(*res->recs));
	return res->recs ? 0 : -1;
}

static void scan_publish(struct scanner *sc, struct snapshot *s,
			 uint64_t start_us)
{
	unsigned udp_before = sc->current ? sc->current->flags : 0;

	s->generation = ++sc->generation;
	clock_gettime(CLOCK_REALTIME, &s->taken_at);
	s->scan_us = clock_mono_us() - start_us;
	s->taken_mono_ms = clock_mono_ms();
	if ((s->flags & DIAG_UDP_UNAVAILABLE) &&
	    (!sc->current || !(udp_before & DIAG_UDP_UNAVAILABLE)))
		log_warnx("the kernel has no UDP sock_diag (udp_diag); "
			  "showing TCP only");
	if (sc->last_errno)
		log_notice("poll works again");
	sc->last_errno = 0;
	sc->last_scan_us = s->scan_us;
	sc->hint = s->n;
	scan_recycle(sc, sc->current);
	sc->current = s;
}

int scan_run(struct scanner *sc)
{
	struct diag_result res = { 0 };
	uint64_t start = clock_mono_us();
	struct snapshot *s;

	sc->polls++;
	scan_keep_cache(sc);
	if (scan_array(sc, &res) < 0) {
		scan_failed(sc, "memory");
		return -1;
	}
	if (diag_dump(sc->diag, &res) < 0) {
		scan_failed(sc, "sock_diag dump");
		diag_result_free(&res);
		return -1;
	}
	if (res.retries)
		log_debug("sock_diag dump redone %u time(s)", res.retries);
	s = snapshot_new(&res, sc->host, links_name, sc->links);
	if (!s) {
		scan_failed(sc, "grouping");
		diag_result_free(&res);
		return -1;
	}
	scan_attribute(sc, s);
	snapshot_give_cache(s, &sc->spare_cache);
	scan_publish(sc, s, start);
	return 0;
}

void scan_fini(struct scanner *sc)
{
	snapshot_unref(sc->current);
	sc->current = NULL;
	free(sc->spare);
	sc->spare = NULL;
	jbuf_free(&sc->spare_cache);
	diag_close(sc->diag);
	sc->diag = NULL;
	procs_close(sc->procs);
	sc->procs = NULL;
	users_close(sc->users);
	sc->users = NULL;
}
