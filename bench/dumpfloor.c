/* SPDX-License-Identifier: ISC */
/*
 * dumpfloor.c - the kernel dump floor: the four sock_diag dumps sockwatchd
 * sends, read and thrown away. Whatever the daemon adds on top of this
 * (parsing, grouping) is its own cost; this is what the kernel alone costs.
 *
 * bench-dumpfloor [-n ROUNDS]   print the median time of one 4-dump cycle
 * bench-dumpfloor -o FILE       record one cycle for the parser tests
 *
 * Recorded-dump format (read by the tests, keep it exactly so): every
 * received buffer as a 4-byte host-order length followed by its bytes, for
 * the dumps in the daemon's order: inet/TCP, inet6/TCP, inet/UDP,
 * inet6/UDP. Each dump ends with the buffer holding its NLMSG_DONE; a
 * kernel without UDP diag answers a UDP dump with one NLMSG_ERROR buffer,
 * which is recorded as received.
 */
#include "diag.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The daemon's receive buffer size, so both read the same buffers. */
#define FLOOR_BUFSZ (64 * 1024)
#define FLOOR_MAX_ROUNDS 100000

struct floor {
	struct mnl_socket *nl;
	unsigned portid;
	unsigned seq;
	FILE *rec;	 /* recording target, NULL when timing */
	size_t msgs;	 /* sock_diag messages seen in the last cycle */
	unsigned intr;	 /* dumps the kernel flagged NLM_F_DUMP_INTR */
	unsigned no_udp; /* UDP dumps answered with ENOENT */
	uint8_t buf[FLOOR_BUFSZ];
};

/* The daemon's order: TCP first, so a missing UDP diag costs nothing. */
static const struct {
	uint8_t family;
	uint8_t proto;
} floor_dumps[] = {
	{ AF_INET, IPPROTO_TCP },
	{ AF_INET6, IPPROTO_TCP },
	{ AF_INET, IPPROTO_UDP },
	{ AF_INET6, IPPROTO_UDP },
};

static void usage(void)
{
	fprintf(stderr, "usage: bench-dumpfloor [-n ROUNDS] [-o FILE]\n");
	exit(2);
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int floor_open(struct floor *f)
{
	f->nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!f->nl) {
		perror("bench-dumpfloor: netlink socket");
		return -1;
	}
	if (mnl_socket_bind(f->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("bench-dumpfloor: netlink bind");
		return -1;
	}
	f->portid = mnl_socket_get_portid(f->nl);
	f->seq = (unsigned)time(NULL);
	return 0;
}

static int floor_record(struct floor *f, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (fwrite(&n, sizeof(n), 1, f->rec) != 1 ||
	    fwrite(f->buf, 1, len, f->rec) != len) {
		perror("bench-dumpfloor: write");
		return -1;
	}
	return 0;
}

/* An error record ends the dump; only a missing UDP diag is not fatal. */
static int floor_error(struct floor *f, const struct nlmsghdr *nlh,
		       uint8_t proto)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return -EBADMSG;
	if (e->error == -ENOENT && proto == IPPROTO_UDP) {
		f->no_udp++;
		return 0;
	}
	return e->error < 0 ? e->error : 0;
}

/* NLMSG_DONE may carry the errno of a dump that failed part way. */
static int floor_done(const struct nlmsghdr *nlh)
{
	int err = 0;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	return err < 0 ? err : 0;
}

/*
 * Walks one buffer, counting messages and nothing else. Returns 1 while
 * the dump goes on, 0 at its end, -errno on an error.
 */
static int floor_walk(struct floor *f, size_t len, uint8_t proto)
{
	const struct nlmsghdr *nlh = (const void *)f->buf;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		/* Leftovers of an earlier, abandoned dump are not ours. */
		if (nlh->nlmsg_seq != f->seq)
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			f->intr++;
		if (nlh->nlmsg_type == NLMSG_DONE)
			return floor_done(nlh);
		if (nlh->nlmsg_type == NLMSG_ERROR)
			return floor_error(f, nlh, proto);
		if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY)
			f->msgs++;
	}
	return 1;
}

static ssize_t floor_recv(struct floor *f)
{
	ssize_t n;

	do
		n = mnl_socket_recvfrom(f->nl, f->buf, sizeof(f->buf));
	while (n < 0 && errno == EINTR);
	return n;
}

/* One dump, request to NLMSG_DONE; -1 after printing why on failure. */
static int floor_dump(struct floor *f, uint8_t family, uint8_t proto)
{
	size_t len = diag_request(f->buf, family, proto, ++f->seq, DIAG_ALL);
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(f->nl, f->buf, len) < 0) {
		perror("bench-dumpfloor: send");
		return -1;
	}
	do {
		n = floor_recv(f);
		if (n < 0) {
			perror("bench-dumpfloor: recv");
			return -1;
		}
		if (f->rec && floor_record(f, (size_t)n) < 0)
			return -1;
		ret = floor_walk(f, (size_t)n, proto);
	} while (ret > 0);
	if (ret < 0) {
		fprintf(stderr, "bench-dumpfloor: dump %u/%u: %s\n", family,
			proto, strerror(-ret));
		return -1;
	}
	return 0;
}

static int floor_cycle(struct floor *f)
{
	size_t i;

	f->msgs = 0;
	for (i = 0; i < sizeof(floor_dumps) / sizeof(floor_dumps[0]); i++)
		if (floor_dump(f, floor_dumps[i].family, floor_dumps[i].proto) <
		    0)
			return -1;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The median, not the mean: the machine is shared and noisy. */
static int floor_time(struct floor *f, int rounds)
{
	int64_t *t = calloc((size_t)rounds, sizeof(*t));
	int64_t t0;
	int i;

	if (!t) {
		perror("bench-dumpfloor");
		return -1;
	}
	for (i = 0; i < rounds; i++) {
		t0 = now_us();
		if (floor_cycle(f) < 0) {
			free(t);
			return -1;
		}
		t[i] = now_us() - t0;
	}
	qsort(t, (size_t)rounds, sizeof(*t), cmp_i64);
	printf("median_us %lld min_us %lld max_us %lld rounds %d msgs %zu "
	       "intr %u udp_missing %u\n",
	       (long long)t[rounds / 2], (long long)t[0],
	       (long long)t[rounds - 1], rounds, f->msgs, f->intr,
	       f->no_udp / (unsigned)rounds);
	free(t);
	return 0;
}

static int floor_save(struct floor *f, const char *path)
{
	int ret;

	f->rec = fopen(path, "wb");
	if (!f->rec) {
		perror(path);
		return -1;
	}
	ret = floor_cycle(f);
	if (fclose(f->rec) != 0 && ret == 0) {
		perror(path);
		ret = -1;
	}
	if (ret == 0)
		fprintf(stderr, "bench-dumpfloor: %zu messages to %s\n",
			f->msgs, path);
	return ret;
}

int main(int argc, char **argv)
{
	static struct floor f; /* static: the buffer is not for the stack */
	const char *out = NULL;
	int rounds = 1, opt, ret;
	char *end;

	while ((opt = getopt(argc, argv, "n:o:")) != -1) {
		if (opt == 'n') {
			rounds = (int)strtol(optarg, &end, 10);
			if (*end || rounds < 1 || rounds > FLOOR_MAX_ROUNDS)
				usage();
		} else if (opt == 'o') {
			out = optarg;
		} else {
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (floor_open(&f) < 0)
		return 1;
	ret = out ? floor_save(&f, out) : floor_time(&f, rounds);
	mnl_socket_close(f.nl);
	return ret < 0 ? 1 : 0;
}
