/* SPDX-License-Identifier: ISC */
/*
 * churn.c - the events benchmark's load and its reader's stopwatch, in the
 * current (private) network namespace.
 *
 * bench-churn gen -r RATE -d SECONDS -o PREFIX [-w WORKERS]
 *   opens and closes RATE loopback TCP connections a second for SECONDS,
 *   spread over WORKERS processes (2). Worker w listens on 127.0.0.1,
 *   port CH_PORT0 + w, connects to it from 127.0.0.(2 + w) (a tuple space
 *   of its own), accepts, and closes the client end, then the server end.
 *   For every connection it logs the client's port and the time just
 *   before the first close (CLOCK_REALTIME) to PREFIX.w: the time the
 *   kernel's two destroy messages come after. Prints "made N in S s".
 *
 * bench-churn stamp -i PREFIX [-w WORKERS]
 *   reads `sockwatchctl events --json` on stdin until its end, stamping
 *   each line with the time it came; then matches every close event with
 *   the connection it belongs to (the churn's port pair, the latest close
 *   before the event) and prints one line of numbers: connections,
 *   expected closes (two a connection), closes matched, lost records'
 *   count, and the close-to-reader delay's median, p99 and max in us.
 *
 * Every loop is bounded: gen by SECONDS (at most CH_MAX_S) and
 * CH_MAX_CONNS, stamp by CH_MAX_LINES.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CH_PORT0 30000
#define CH_MAX_WORKERS 16
#define CH_MAX_S 600
#define CH_MAX_CONNS 50000000L
#define CH_MAX_LINES 100000000L

/* One connection as the churn logged it. */
struct ch_conn {
	uint32_t key;  /* client port << 16 | listener port */
	uint64_t t_ns; /* just before the first close */
};

/* One close event as the reader saw it. */
struct ch_seen {
	uint32_t key;
	uint64_t t_ns;	/* when the line came */
	uint64_t at_ns; /* the event's "at": when the daemon heard it */
	int retrans;	/* TCP retransmitted: its close waited on a timer */
};

static void usage(void)
{
	fprintf(stderr, "usage: bench-churn gen -r RATE -d SECONDS -o PREFIX "
			"[-w WORKERS]\n"
			"       bench-churn stamp -i PREFIX [-w WORKERS]\n");
	exit(2);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-churn: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- gen ---- */

static int ch_listen(struct sockaddr_in *sa)
{
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(l, (struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    listen(l, 1024) < 0)
		die("listen");
	return l;
}

/* A connection from src to the listener l at dst, opened and closed. */
static int ch_one(int l, const struct sockaddr_in *src,
		  const struct sockaddr_in *dst, struct ch_conn *rec)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	int c = socket(AF_INET, SOCK_STREAM, 0), a, one = 1;

	/* the port chosen at connect, where TIME-WAIT ends may be reused */
	if (c < 0 ||
	    setsockopt(c, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		       sizeof(one)) < 0 ||
	    bind(c, (const struct sockaddr *)src, sizeof(*src)) < 0 ||
	    connect(c, (const struct sockaddr *)dst, sizeof(*dst)) < 0 ||
	    getsockname(c, (struct sockaddr *)&me, &len) < 0)
		return -1;
	a = accept(l, NULL, NULL);
	if (a < 0)
		return -1;
	rec->key = (uint32_t)ntohs(me.sin_port) << 16 | ntohs(dst->sin_port);
	rec->t_ns = now_ns(CLOCK_REALTIME);
	close(c);
	close(a);
	return 0;
}

/* Worker w: its share of the rate for secs, paced, logged to path. */
static void ch_worker(int w, double rate, double secs, const char *path)
{
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons(CH_PORT0 + w),
				   .sin_addr.s_addr = htonl(0x7f000001) };
	struct sockaddr_in src = { .sin_family = AF_INET,
				   .sin_addr.s_addr =
					   htonl(0x7f000002 + (uint32_t)w) };
	long n = (long)(rate * secs), i;
	struct ch_conn *recs = calloc((size_t)n + 1, sizeof(*recs));
	int l = ch_listen(&dst);
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	FILE *f;

	if (!recs)
		die("calloc");
	for (i = 0; i < n; i++) {
		uint64_t due = t0 + (uint64_t)((double)i * 1e9 / rate);
		uint64_t now = now_ns(CLOCK_MONOTONIC);

		if (due > now) {
			struct timespec ts = { 0, (long)(due - now) };

			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec = ts.tv_nsec / 1000000000L;
				ts.tv_nsec %= 1000000000L;
			}
			nanosleep(&ts, NULL);
		}
		if (ch_one(l, &src, &dst, &recs[i]) < 0)
			die("connection");
		if (now_ns(CLOCK_MONOTONIC) - t0 >
		    (uint64_t)CH_MAX_S * 1000000000u) {
			i++; /* this one was made: logged with the others */
			break;
		}
	}
	f = fopen(path, "wb");
	if (!f || fwrite(recs, sizeof(*recs), (size_t)i, f) != (size_t)i ||
	    fclose(f) != 0)
		die(path);
	close(l);
	exit(0);
}

static int ch_gen(double rate, double secs, const char *prefix, int workers)
{
	pid_t pids[CH_MAX_WORKERS];
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	int w, bad = 0;
	long made = 0;

	for (w = 0; w < workers; w++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s.%d", prefix, w);
		pids[w] = fork();
		if (pids[w] < 0)
			die("fork");
		if (pids[w] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			ch_worker(w, rate / workers, secs, path);
		}
	}
	for (w = 0; w < workers; w++) {
		int st;
		char path[4096];
		FILE *f;

		if (waitpid(pids[w], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0) {
			bad = 1;
			continue;
		}
		snprintf(path, sizeof(path), "%s.%d", prefix, w);
		f = fopen(path, "rb");
		if (!f)
			die(path);
		fseek(f, 0, SEEK_END);
		made += ftell(f) / (long)sizeof(struct ch_conn);
		fclose(f);
	}
	printf("made %ld in %.2f s\n", made,
	       (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	return bad;
}

/* ---- stamp ---- */

static int ch_cmp(const void *a, const void *b)
{
	const struct ch_conn *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

static int ch_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The number after "key": in line, within the object that holds it. */
static long ch_num(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The event's "at" (RFC 3339 UTC, ms), in ns since the epoch; 0: none. */
static uint64_t ch_at(const char *line)
{
	const char *p = strstr(line, "\"at\":\"");
	struct tm tm = { 0 };
	int ms = 0;

	if (!p || sscanf(p + 6, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year,
			 &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			 &tm.tm_sec, &ms) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (uint64_t)timegm(&tm) * 1000000000u + (uint64_t)ms * 1000000u;
}

/* The port of the end ("local" or "remote") of an event line. */
static long ch_port(const char *line, const char *end)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\":{", end);
	p = strstr(line, key);
	return p ? ch_num(p, "\"port\":") : -1;
}

/* The churn's connections, from every worker's log, sorted. */
static struct ch_conn *ch_load(const char *prefix, int workers, size_t *n)
{
	struct ch_conn *all = NULL;
	int w;

	*n = 0;
	for (w = 0; w < workers; w++) {
		char path[4096];
		FILE *f;
		long len;

		snprintf(path, sizeof(path), "%s.%d", prefix, w);
		f = fopen(path, "rb");
		if (!f)
			die(path);
		fseek(f, 0, SEEK_END);
		len = ftell(f) / (long)sizeof(*all);
		rewind(f);
		all = realloc(all, (*n + (size_t)len + 1) * sizeof(*all));
		if (!all || fread(all + *n, sizeof(*all), (size_t)len, f) !=
				    (size_t)len)
			die(path);
		fclose(f);
		*n += (size_t)len;
	}
	qsort(all, *n, sizeof(*all), ch_cmp);
	return all;
}

/* The close that came latest before t among the connections of key. */
static const struct ch_conn *ch_match(const struct ch_conn *c, size_t n,
				      uint32_t key, uint64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* the first after (key, t) */
		size_t mid = lo + (hi - lo) / 2;

		if (c[mid].key < key || (c[mid].key == key && c[mid].t_ns <= t))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && c[lo - 1].key == key ? &c[lo - 1] : NULL;
}

/* A close event's key, the churn's port pair, or 0 when not the churn's. */
static uint32_t ch_key(const char *line)
{
	long lp = ch_port(line, "local"), rp = ch_port(line, "remote");

	if (lp >= CH_PORT0 && lp < CH_PORT0 + CH_MAX_WORKERS && rp > 0 &&
	    rp < 65536)
		return (uint32_t)rp << 16 | (uint32_t)lp; /* the server end */
	if (rp >= CH_PORT0 && rp < CH_PORT0 + CH_MAX_WORKERS && lp > 0 &&
	    lp < 65536)
		return (uint32_t)lp << 16 | (uint32_t)rp; /* the client end */
	return 0;
}

/* "NAMEp50_us N NAMEp99_us N NAMEmax_us N" of n delays, sorted here. */
static void ch_pct(const char *name, uint64_t *v, size_t n)
{
	if (!n)
		return;
	qsort(v, n, sizeof(*v), ch_cmp_u64);
	printf(" %sp50_us %llu %sp99_us %llu %smax_us %llu", name,
	       (unsigned long long)v[(n - 1) / 2], name,
	       (unsigned long long)v[(n * 99 + 99) / 100 - 1], name,
	       (unsigned long long)v[n - 1]);
}

static int ch_stamp(const char *prefix, int workers)
{
	size_t nconn, nseen = 0, cap = 1 << 16, matched = 0, i;
	struct ch_seen *seen = malloc(cap * sizeof(*seen));
	struct ch_conn *conns;
	uint64_t *lat, *heard, *all, lost = 0;
	size_t clean = 0, retrans = 0;
	char *line = NULL;
	size_t lcap = 0;
	long lines = 0;

	if (!seen)
		die("malloc");
	while (getline(&line, &lcap, stdin) > 0 && lines++ < CH_MAX_LINES) {
		uint64_t t = now_ns(CLOCK_REALTIME);
		uint32_t key;

		if (strstr(line, "\"type\":\"lost\"")) {
			long k = ch_num(line, "\"count\":");

			lost += k > 0 ? (uint64_t)k : 0;
			continue;
		}
		if (!strstr(line, "\"event\":\"close\"") ||
		    !(key = ch_key(line)))
			continue;
		if (nseen == cap) {
			cap *= 2;
			seen = realloc(seen, cap * sizeof(*seen));
			if (!seen)
				die("realloc");
		}
		seen[nseen].key = key;
		seen[nseen].at_ns = ch_at(line);
		seen[nseen].retrans = ch_num(line, "\"total_retrans\":") > 0;
		seen[nseen++].t_ns = t;
	}
	free(line);
	conns = ch_load(prefix, workers, &nconn);
	lat = malloc((nseen + 1) * sizeof(*lat));
	heard = malloc((nseen + 1) * sizeof(*heard));
	all = malloc((nseen + 1) * sizeof(*all));
	if (!lat || !heard || !all)
		die("malloc");
	for (i = 0; i < nseen; i++) {
		const struct ch_conn *c =
			ch_match(conns, nconn, seen[i].key, seen[i].t_ns);

		if (!c)
			continue;
		all[matched++] = (seen[i].t_ns - c->t_ns) / 1000;
		if (seen[i].retrans) {
			retrans++;
			continue;
		}
		/* "at" has ms: a close in the same ms may seem heard before */
		heard[clean] = seen[i].at_ns > c->t_ns
				       ? (seen[i].at_ns - c->t_ns) / 1000
				       : 0;
		lat[clean++] = (seen[i].t_ns - c->t_ns) / 1000;
	}
	printf("connections %zu expected %zu matched %zu lost %llu retrans %zu",
	       nconn, 2 * nconn, matched, (unsigned long long)lost, retrans);
	ch_pct("", lat, clean);
	ch_pct("heard_", heard, clean);
	ch_pct("all_", all, matched);
	printf("\n");
	free(all);
	free(heard);
	free(lat);
	free(conns);
	free(seen);
	return 0;
}

int main(int argc, char **argv)
{
	const char *prefix = NULL, *mode;
	double rate = 0, secs = 0;
	int workers = 2, opt;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "r:d:o:i:w:")) != -1) {
		switch (opt) {
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 'd':
			secs = strtod(optarg, NULL);
			break;
		case 'o':
		case 'i':
			prefix = optarg;
			break;
		case 'w':
			workers = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!prefix || workers < 1 || workers > CH_MAX_WORKERS)
		usage();
	if (strcmp(mode, "gen") == 0) {
		if (rate <= 0 || secs <= 0 || secs > CH_MAX_S ||
		    rate * secs > CH_MAX_CONNS)
			usage();
		return ch_gen(rate, secs, prefix, workers);
	}
	if (strcmp(mode, "stamp") == 0)
		return ch_stamp(prefix, workers);
	usage();
	return 2;
}
