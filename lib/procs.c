/* SPDX-License-Identifier: ISC */
/* procs.c - socket inode -> processes, read from /proc a little at a time. */
#include "procs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grow.h"
#include "strtab.h"
#include "u32map.h"

#define NONE U32MAP_NONE
#define PROCS_REFRESH 64 /* a full re-read of every process per N polls */
/*
 * Bounds on one update's work, whatever other users' processes do: fd
 * links read at most (the rest wait for the next update), and a process
 * read again, after a change, on average no more than PROCS_LINKS_EACH
 * links an update: one of 15,000 fds at most every 15th update (toggling
 * one fd among 15,000 cost 15,000 links every poll).
 */
#define PROCS_MAX_LINKS 250000
#define PROCS_LINKS_EACH 1024

struct proc {
	int32_t pid; /* 0: a free slot */
	uint32_t uid;
	uint64_t start; /* start time since boot: the process's identity */
	uint64_t fdcount;
	uint64_t nlinks;  /* fd links its last read went through */
	uint32_t round;	  /* the update that last saw it in /proc */
	uint32_t scanned; /* the update that last read its fds */
	uint32_t user, unit, container; /* interned strings, or NONE */
	int denied;
	char comm[16];
	uint32_t *inodes; /* the sockets it held when last read */
	uint32_t ninodes;
	size_t cap;
};

/* One holder of one socket: the index has them sorted by inode. */
struct hold {
	uint32_t inode;
	uint32_t slot;
};

struct procs {
	int root;
	struct proc *v;
	uint32_t nv;
	size_t capv;
	uint32_t freeslot;   /* a chain through pid 0 slots' ninodes */
	struct u32map bypid; /* pid -> slot */
	/*
	 * inode -> holders: made from the processes' inodes where an
	 * update needs it, and kept for the answers until procs_answered.
	 * Eight bytes a socket, where a map with a list per inode, kept up
	 * to date as processes were read, took thirty.
	 */
	struct hold *holds;
	size_t nholds;
	int holds_ok;	    /* no process read or dropped since it was made */
	struct u32map want; /* inodes looked for in this update */
	struct u32map want_uids; /* uid + 1 of the sockets looked for */
	struct u32map giveup;	 /* inodes a whole sweep did not place */
	struct strtab names;	 /* units, containers, users: counted */
	struct u32map users;	 /* uid + 1 -> its name in names */
	struct u32map user_refs; /* uid + 1 -> processes of that uid */
	struct u32map pending;	 /* uid + 1 whose name the namer owes us */
	procs_namer namer;	 /* NULL: getpwuid_r, here and now */
	void *namer_ctx;
	uint32_t round;
	uint32_t cursor; /* round robin of the slow refresh */
	uint64_t max_links;
	int capped; /* this update left work undone: nothing given up */
	struct procs_stats st;
};

static const char *str_of(const struct procs *p, uint32_t id)
{
	return strtab_str(&p->names, id);
}

void procs_set_namer(struct procs *p, procs_namer namer, void *ctx)
{
	p->namer = namer;
	p->namer_ctx = ctx;
}

struct procs *procs_open(const char *root)
{
	struct procs *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->root = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->root < 0) {
		free(p);
		return NULL;
	}
	p->freeslot = NONE;
	p->max_links = PROCS_MAX_LINKS;
	return p;
}

/* --- the inode -> holders index ---------------------------------------- */

/*
 * Sorts n holds by inode, least significant byte first, through tmp:
 * stable, so that one process's duplicates (a socket on two fds) stay
 * next to each other. A byte all inodes share is skipped.
 */
static void holds_sort(struct hold *v, struct hold *tmp, size_t n)
{
	unsigned shift;

	for (shift = 0; shift < 32; shift += 8) {
		size_t count[256] = { 0 }, at = 0, i;
		unsigned b;

		for (i = 0; i < n; i++)
			count[(v[i].inode >> shift) & 0xff]++;
		if (count[(v[0].inode >> shift) & 0xff] == n)
			continue;
		for (b = 0; b < 256; b++) {
			size_t c = count[b];

			count[b] = at;
			at += c;
		}
		for (i = 0; i < n; i++)
			tmp[count[(v[i].inode >> shift) & 0xff]++] = v[i];
		memcpy(v, tmp, n * sizeof(*v));
	}
}

static void holds_drop(struct procs *p)
{
	free(p->holds);
	p->holds = NULL;
	p->nholds = 0;
	p->holds_ok = 0;
}

/*
 * Makes the index of who holds what, as the processes are known now;
 * the one there already when none was read or dropped since.
 */
static int procs_index(struct procs *p)
{
	size_t total = 0, n = 0, i, k;
	struct hold *v, *tmp;
	uint32_t s, j;

	if (p->holds_ok)
		return 0;
	holds_drop(p);
	for (s = 0; s < p->nv; s++)
		if (p->v[s].pid)
			total += p->v[s].ninodes;
	p->holds_ok = !total;
	if (!total)
		return 0;
	v = malloc(total * sizeof(*v));
	tmp = malloc(total * sizeof(*tmp));
	if (!v || !tmp) {
		free(v);
		free(tmp);
		return -1;
	}
	for (s = 0; s < p->nv; s++)
		for (j = 0; p->v[s].pid && j < p->v[s].ninodes; j++)
			v[n++] = (struct hold){ p->v[s].inodes[j], s };
	holds_sort(v, tmp, n);
	free(tmp);
	for (i = k = 0; i < n; i++)
		if (!k || v[i].inode != v[k - 1].inode ||
		    v[i].slot != v[k - 1].slot)
			v[k++] = v[i];
	p->holds = v;
	p->nholds = k;
	p->holds_ok = 1;
	return 0;
}

/* Where inode's holders start in the index (nholds when it has none). */
static size_t holds_find(const struct procs *p, uint32_t inode)
{
	size_t lo = 0, hi = p->nholds;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->holds[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->nholds && p->holds[lo].inode == inode ? lo : p->nholds;
}

static int procs_held(const struct procs *p, uint32_t inode)
{
	return holds_find(p, inode) < p->nholds;
}

/* --- reading one process ------------------------------------------------ */

/* "socket:[12345]" -> 12345, else 0. */
static uint32_t socket_inode(const char *link)
{
	if (strncmp(link, "socket:[", 8) != 0)
		return 0;
	return (uint32_t)strtoul(link + 8, NULL, 10);
}

static int proc_hold(struct procs *p, uint32_t slot, uint32_t inode)
{
	struct proc *pr = &p->v[slot];

	if (grow(&pr->inodes, &pr->cap, pr->ninodes, sizeof(*pr->inodes), 8) <
	    0)
		return -1;
	pr->inodes[pr->ninodes++] = inode;
	u32map_del(&p->want, inode);
	return 0;
}

/* What a read left over is given back: most processes hold few sockets. */
static void proc_fit(struct proc *pr)
{
	uint32_t *v;

	if (pr->cap <= (size_t)pr->ninodes + pr->ninodes / 4 + 8)
		return;
	if (!pr->ninodes) {
		free(pr->inodes);
		pr->inodes = NULL;
		pr->cap = 0;
		return;
	}
	v = realloc(pr->inodes, pr->ninodes * sizeof(*v));
	if (v) {
		pr->inodes = v;
		pr->cap = pr->ninodes;
	}
}

static DIR *proc_opendir(const struct procs *p, int32_t pid, const char *sub)
{
	char path[48];
	int fd;
	DIR *d;

	snprintf(path, sizeof(path), "%d/%s", (int)pid, sub);
	fd = openat(p->root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

/* Reads which sockets a process holds, replacing what was known. */
static int proc_scan(struct procs *p, uint32_t slot)
{
	struct proc *pr = &p->v[slot];
	DIR *d = proc_opendir(p, pr->pid, "fd");
	struct dirent *e;
	char link[64];
	ssize_t n;

	pr->ninodes = 0;
	p->holds_ok = 0;
	pr->scanned = p->round;
	pr->nlinks = 0;
	p->st.scanned++;
	/* Gone, or not ours to read: no owner rather than a wrong one. */
	pr->denied = !d && (errno == EACCES || errno == EPERM);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
		p->st.links++;
		pr->nlinks++;
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (socket_inode(link) &&
		    proc_hold(p, slot, socket_inode(link)))
			break;
	}
	closedir(d);
	proc_fit(pr);
	return 0;
}

/* --- a process's identity ----------------------------------------------- */

/* comm and start time from /proc/PID/stat; -1 when it is gone. */
static int proc_read_stat(const struct procs *p, int32_t pid, char *comm,
			  uint64_t *start)
{
	char path[32], buf[1024], *open_, *close_;
	unsigned long long st = 0;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "%d/stat", (int)pid);
	fd = openat(p->root, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: it ends at the last ')' */
	open_ = strchr(buf, '(');
	close_ = strrchr(buf, ')');
	if (!open_ || !close_ || close_ < open_)
		return -1;
	snprintf(comm, 16, "%.*s", (int)(close_ - open_ - 1), open_ + 1);
	/* start time is field 22; close_ + 2 is field 3 */
	for (open_ = close_ + 2, i = 3; i < 22 && open_; i++)
		open_ = strchr(open_, ' ') ? strchr(open_, ' ') + 1 : NULL;
	if (!open_ || sscanf(open_, "%llu", &st) != 1)
		return -1;
	*start = st;
	return 0;
}

static void proc_read_cgroup(struct procs *p, struct proc *pr)
{
	char path[32], buf[4096], unit[256], cont[80];
	ssize_t n;
	int fd;

	pr->unit = pr->container = NONE;
	snprintf(path, sizeof(path), "%d/cgroup", (int)pr->pid);
	fd = openat(p->root, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	procs_parse_cgroup(buf, unit, sizeof(unit), cont, sizeof(cont));
	pr->unit = strtab_get(&p->names, unit);
	pr->container = strtab_get(&p->names, cont);
}

/* Forgets the name of uid: no process of it is known any more. */
static void user_forget(struct procs *p, uint32_t uid)
{
	strtab_put(&p->names, u32map_get(&p->users, uid + 1));
	u32map_del(&p->users, uid + 1);
	u32map_del(&p->user_refs, uid + 1);
	u32map_del(&p->pending, uid + 1);
}

/*
 * The name of uid into buf: 1, or 0 when the namer does not know it yet
 * (buf then holds the number, and the uid is asked about again).
 */
static int user_lookup(struct procs *p, uint32_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;

	if (p->namer) {
		if (p->namer(p->namer_ctx, uid, buf, size))
			return 1;
	} else if (getpwuid_r(uid, &pw, buf, size, &res) == 0 && res) {
		memmove(buf, pw.pw_name, strlen(pw.pw_name) + 1);
		return 1;
	}
	snprintf(buf, size, "%u", (unsigned)uid);
	return 0;
}

/* The name of uid, looked up once while it is in use. */
static uint32_t user_name(struct procs *p, uint32_t uid)
{
	uint32_t id = u32map_get(&p->users, uid + 1);
	char buf[16384];
	int known;

	if (id != NONE)
		return id;
	known = user_lookup(p, uid, buf, sizeof(buf));
	id = strtab_get(&p->names, buf);
	if (id != NONE && u32map_put(&p->users, uid + 1, id) < 0) {
		strtab_put(&p->names, id);
		return NONE;
	}
	if (id != NONE && !known)
		u32map_put(&p->pending, uid + 1, 1);
	return id;
}

#define USERS_SETTLE_MAX 64 /* owed names asked again per update */

/* The names the namer owed: asked again, and taken when it has them. */
static void users_settle(struct procs *p)
{
	uint32_t keys[USERS_SETTLE_MAX];
	size_t i, n = 0;

	for (i = 0; p->namer && i < p->pending.cap && n < USERS_SETTLE_MAX; i++)
		if (p->pending.keys[i])
			keys[n++] = p->pending.keys[i];
	for (i = 0; i < n; i++) {
		char buf[256];
		uint32_t id, old;

		if (!user_lookup(p, keys[i] - 1, buf, sizeof(buf)))
			continue;
		old = u32map_get(&p->users, keys[i]);
		id = strtab_get(&p->names, buf);
		if (id == NONE || u32map_put(&p->users, keys[i], id) < 0) {
			strtab_put(&p->names, id);
			continue;
		}
		strtab_put(&p->names, old);
		u32map_del(&p->pending, keys[i]);
	}
}

/* The name of uid for one more of its processes; NONE uncounted. */
static uint32_t user_ref(struct procs *p, uint32_t uid)
{
	uint32_t id = user_name(p, uid), n;

	if (id == NONE)
		return NONE;
	n = u32map_get(&p->user_refs, uid + 1);
	if (u32map_put(&p->user_refs, uid + 1, n == NONE ? 1 : n + 1) < 0) {
		if (n == NONE)
			user_forget(p, uid);
		return NONE;
	}
	return id;
}

/* One process of uid fewer; its name goes with the last. */
static void user_unref(struct procs *p, uint32_t uid, uint32_t id)
{
	uint32_t n;

	if (id == NONE)
		return;
	n = u32map_get(&p->user_refs, uid + 1);
	if (n == NONE || n <= 1)
		user_forget(p, uid);
	else
		u32map_put(&p->user_refs, uid + 1, n - 1);
}

/* What a process holds of the names, let go. */
static void proc_names_drop(struct procs *p, struct proc *pr)
{
	user_unref(p, pr->uid, pr->user);
	strtab_put(&p->names, pr->unit);
	strtab_put(&p->names, pr->container);
	pr->user = pr->unit = pr->container = NONE;
}

static uint32_t slot_new(struct procs *p)
{
	if (p->freeslot != NONE) {
		uint32_t s = p->freeslot;

		p->freeslot = p->v[s].ninodes;
		p->v[s].ninodes = 0;
		return s;
	}
	if (grow(&p->v, &p->capv, p->nv, sizeof(*p->v), 256) < 0)
		return NONE;
	return p->nv++;
}

static void proc_drop(struct procs *p, uint32_t slot)
{
	struct proc *pr = &p->v[slot];

	p->holds_ok = 0;
	proc_names_drop(p, pr);
	u32map_del(&p->bypid, (uint32_t)pr->pid);
	free(pr->inodes);
	memset(pr, 0, sizeof(*pr));
	pr->ninodes = p->freeslot; /* free slots chain through ninodes */
	p->freeslot = slot;
}

/* A process seen for the first time: who it is, then what it holds. */
static uint32_t proc_add(struct procs *p, int32_t pid, const struct stat *st)
{
	uint32_t slot;
	struct proc *pr;
	char comm[16];
	uint64_t start;

	if (proc_read_stat(p, pid, comm, &start) < 0)
		return NONE;
	slot = slot_new(p);
	if (slot == NONE || u32map_put(&p->bypid, (uint32_t)pid, slot) < 0)
		return NONE;
	pr = &p->v[slot];
	pr->pid = pid;
	pr->uid = st->st_uid;
	pr->start = start;
	memcpy(pr->comm, comm, sizeof(pr->comm));
	pr->user = user_ref(p, pr->uid);
	proc_read_cgroup(p, pr);
	pr->fdcount = UINT64_MAX; /* read its fds below */
	return slot;
}

/* --- one update --------------------------------------------------------- */

/*
 * The slot for pid as it is now. Its start time tells a reused pid (a
 * new slot); its name, an exec (the same process, renamed, maybe under
 * another uid).
 */
static uint32_t proc_current(struct procs *p, int32_t pid,
			     const struct stat *st)
{
	uint32_t slot = u32map_get(&p->bypid, (uint32_t)pid);
	struct proc *pr;
	char comm[16];
	uint64_t start;

	if (slot == NONE)
		return proc_add(p, pid, st);
	pr = &p->v[slot];
	if (proc_read_stat(p, pid, comm, &start) < 0)
		return NONE; /* gone meanwhile: reaped below */
	if (start != pr->start) {
		proc_drop(p, slot);
		return proc_add(p, pid, st);
	}
	if (strcmp(comm, pr->comm) != 0 || pr->uid != st->st_uid) {
		memcpy(pr->comm, comm, sizeof(pr->comm));
		if (pr->uid !=
		    st->st_uid) { /* keep the name of one unchanged */
			user_unref(p, pr->uid, pr->user);
			pr->uid = st->st_uid;
			pr->user = user_ref(p, pr->uid);
		}
	}
	return slot;
}

/* Whether this update may read more fd links. */
static int procs_budget_left(struct procs *p)
{
	if (p->st.links < p->max_links)
		return 1;
	p->capped = 1;
	return 0;
}

/* Whether a process read before may be read again in this update. */
static int proc_may_read(struct procs *p, const struct proc *pr)
{
	if (!pr->scanned ||
	    (uint64_t)(p->round - pr->scanned) * PROCS_LINKS_EACH >= pr->nlinks)
		return procs_budget_left(p);
	p->capped = 1;
	return 0;
}

/*
 * A process whose fd count changed is read now, unless that is beyond
 * the budgets: then its count is left unseen, for a later update.
 */
static void proc_changed(struct procs *p, uint32_t slot, uint64_t fdcount)
{
	struct proc *pr = &p->v[slot];

	if (!proc_may_read(p, pr))
		return;
	pr->fdcount = fdcount;
	proc_scan(p, slot);
}

/* Walks /proc: new processes read whole, changed ones read again. */
static void procs_walk(struct procs *p)
{
	int fd = openat(p->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	struct stat st, fst;
	char path[32];

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		int32_t pid = (int32_t)strtol(e->d_name, NULL, 10);
		uint32_t slot;

		if (pid <= 0 || fstatat(p->root, e->d_name, &st, 0) < 0)
			continue;
		slot = proc_current(p, pid, &st);
		if (slot == NONE)
			continue;
		p->v[slot].round = p->round;
		snprintf(path, sizeof(path), "%d/fd", (int)pid);
		/* Since Linux 6.2 the size of /proc/PID/fd is its fd count. */
		if (fstatat(p->root, path, &fst, 0) < 0)
			fst.st_size = 0;
		/*
		 * Before 6.2 the size is always 0: then only new processes,
		 * the sweep for unknown sockets and the slow refresh read
		 * fds, never every process every poll.
		 */
		if ((uint64_t)fst.st_size != p->v[slot].fdcount)
			proc_changed(p, slot, (uint64_t)fst.st_size);
	}
	closedir(d);
}

static void procs_reap(struct procs *p)
{
	uint32_t s;

	for (s = 0; s < p->nv; s++)
		if (p->v[s].pid && p->v[s].round != p->round)
			proc_drop(p, s);
}

/* A few processes read again each poll, in case a count hid a change. */
static void procs_refresh(struct procs *p)
{
	uint32_t i, n = p->nv / PROCS_REFRESH + 1;

	for (i = 0; i < n && p->nv && procs_budget_left(p); i++) {
		uint32_t s = p->cursor++ % p->nv;

		if (p->v[s].pid && p->v[s].scanned != p->round &&
		    proc_may_read(p, &p->v[s]))
			proc_scan(p, s);
	}
}

/* The sockets of the dump nobody is known to hold, that are worth a look. */
static int procs_wanted(struct procs *p, const struct sock_rec *recs, size_t n)
{
	size_t i;

	u32map_free(&p->want);
	u32map_free(&p->want_uids);
	if (procs_index(p) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		uint32_t ino = recs[i].inode;

		if (!ino || procs_held(p, ino) ||
		    u32map_get(&p->giveup, ino) != NONE)
			continue;
		if (u32map_put(&p->want, ino, 1) < 0 ||
		    u32map_put(&p->want_uids, recs[i].uid + 1, 1) < 0)
			return -1;
	}
	return 0;
}

/*
 * Reads processes not read yet in this update until every wanted socket
 * is found: first those of the uids that made the sockets (who most
 * likely hold them), then the rest (a server that dropped privileges).
 */
static void procs_sweep(struct procs *p)
{
	uint32_t s;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (s = 0; s < p->nv && p->want.n && procs_budget_left(p); s++)
			if (p->v[s].pid && p->v[s].scanned != p->round &&
			    (pass || u32map_get(&p->want_uids,
						p->v[s].uid + 1) != NONE) &&
			    proc_may_read(p, &p->v[s]))
				proc_scan(p, s);
}

/* What is still unplaced is given up on until a dump no longer has it. */
static int procs_giveup(struct procs *p, const struct sock_rec *recs, size_t n)
{
	struct u32map g = { 0 };
	size_t i;

	p->st.unresolved = 0;
	if (procs_index(p) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		uint32_t ino = recs[i].inode;

		if (!ino || procs_held(p, ino))
			continue;
		p->st.unresolved++;
		if (u32map_put(&g, ino, 1) < 0) {
			u32map_free(&g);
			return -1;
		}
	}
	if (p->capped) { /* work was left undone: try again next time */
		u32map_free(&g);
		return 0;
	}
	u32map_free(&p->giveup);
	p->giveup = g;
	return 0;
}

static void procs_count(struct procs *p)
{
	uint32_t s;

	p->st.procs = p->st.denied = 0;
	for (s = 0; s < p->nv; s++) {
		if (!p->v[s].pid)
			continue;
		p->st.procs++;
		p->st.denied += p->v[s].denied != 0;
	}
}

int procs_update(struct procs *p, const struct sock_rec *recs, size_t n)
{
	p->round++;
	p->st.scanned = p->st.links = 0;
	p->capped = 0;
	users_settle(p);
	procs_walk(p);
	procs_reap(p);
	procs_refresh(p);
	if (procs_wanted(p, recs, n) < 0)
		return -1;
	procs_sweep(p);
	/* a map of every socket's inode: not kept from poll to poll */
	u32map_free(&p->want);
	u32map_free(&p->want_uids);
	procs_count(p);
	return procs_giveup(p, recs, n);
}

/* --- answers ------------------------------------------------------------ */

static int view_cmp(const void *a, const void *b)
{
	const struct procs_view *x = a, *y = b;

	/* pid 1 holds sockets it passed on: the service comes first. */
	if ((x->pid == 1) != (y->pid == 1))
		return x->pid == 1 ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

size_t procs_owners(const struct procs *p, uint32_t inode,
		    struct procs_view *out, size_t max)
{
	size_t h = inode ? holds_find(p, inode) : p->nholds, n = 0;

	for (; h < p->nholds && p->holds[h].inode == inode && n < max; h++) {
		const struct proc *pr = &p->v[p->holds[h].slot];

		out[n].pid = pr->pid;
		out[n].uid = pr->uid;
		out[n].comm = pr->comm;
		/* by uid: a name the namer owed may have come since */
		out[n].user =
			pr->user == NONE
				? NULL
				: str_of(p, u32map_get(&p->users, pr->uid + 1));
		out[n].unit = str_of(p, pr->unit);
		out[n].container = str_of(p, pr->container);
		n++;
	}
	qsort(out, n, sizeof(*out), view_cmp);
	return n;
}

void procs_set_max_links(struct procs *p, uint64_t max)
{
	p->max_links = max;
}

void procs_answered(struct procs *p)
{
	holds_drop(p);
}

void procs_stats(const struct procs *p, struct procs_stats *st)
{
	*st = p->st;
	st->names = p->names.live;
}

void procs_close(struct procs *p)
{
	uint32_t i;

	if (!p)
		return;
	for (i = 0; i < p->nv; i++)
		free(p->v[i].inodes);
	strtab_free(&p->names);
	free(p->v);
	free(p->holds);
	u32map_free(&p->bypid);
	u32map_free(&p->want);
	u32map_free(&p->want_uids);
	u32map_free(&p->giveup);
	u32map_free(&p->users);
	u32map_free(&p->user_refs);
	u32map_free(&p->pending);
	close(p->root);
	free(p);
}

/* --- cgroup paths ------------------------------------------------------- */

static int ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* A run of 64 hex digits in s: a container id. */
static const char *hex64(const char *s, size_t len)
{
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		run = isxdigit((unsigned char)s[i]) ? run + 1 : 0;
		if (run == 64)
			return s + i - 63;
	}
	return NULL;
}

/* One path component: remembers the deepest unit and any container. */
static void cgroup_part(const char *s, size_t len, const char *prev,
			size_t prevlen, char *unit, size_t unitsz, char *cont,
			size_t contsz)
{
	const char *id = hex64(s, len);

	if (ends_with(s, len, ".service") || ends_with(s, len, ".scope"))
		snprintf(unit, unitsz, "%.*s", (int)len, s);
	if (id)
		snprintf(cont, contsz, "%.12s", id);
	else if (prev && prevlen == 3 && memcmp(prev, "lxc", 3) == 0)
		snprintf(cont, contsz, "%.*s", (int)len, s);
	else if (len > 12 && memcmp(s, "lxc.payload.", 12) == 0)
		snprintf(cont, contsz, "%.*s", (int)len - 12, s + 12);
}

/*
 * The unified hierarchy's path ("0::/..."), unless a hybrid setup leaves
 * it at the root and systemd's own hierarchy ("N:name=systemd:") has it.
 */
static const char *cgroup_path(const char *text, size_t *len)
{
	const char *line = text, *v2 = NULL, *sd = NULL, *found;

	while (line && *line) {
		const char *nl = strchr(line, '\n'), *p;

		if (!nl)
			nl = line + strlen(line);
		p = strstr(line, ":name=systemd:");
		if (strncmp(line, "0::", 3) == 0)
			v2 = line + 3;
		else if (p && p < nl)
			sd = p + 14;
		line = *nl ? nl + 1 : NULL;
	}
	found = v2;
	if (sd && (!v2 || strcspn(v2, "\n") <= 1))
		found = sd;
	if (!found)
		return NULL;
	*len = strcspn(found, "\n");
	return found;
}

void procs_parse_cgroup(const char *text, char *unit, size_t unitsz,
			char *container, size_t contsz)
{
	const char *path, *s, *prev = NULL;
	size_t len, plen, prevlen = 0;

	unit[0] = container[0] = '\0';
	path = cgroup_path(text, &len);
	if (!path)
		return;
	for (s = path; s < path + len; s += plen + 1) {
		plen = strcspn(s, "/\n");
		if (plen > (size_t)(path + len - s))
			plen = (size_t)(path + len - s);
		if (plen)
			cgroup_part(s, plen, prev, prevlen, unit, unitsz,
				    container, contsz);
		prev = s;
		prevlen = plen;
	}
}
