/* SPDX-License-Identifier: ISC */
/*
 * test_fuzz.c - every input kept under tests/data/fuzz/NAME/, seeds and
 * whatever the fuzzers once found, replayed through the fuzz targets.
 */
#include <check.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "destroy.h"
#include "fuzz.h"
#include "tests.h"

/* The whole of the file at path, in a buffer of its own; its length. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	ck_assert_int_ge(n, 0);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Runs target over each file of dir; returns how many there were. */
static size_t replay(const char *dir, int (*target)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((e = readdir(d))) {
		char path[512], *buf;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		buf = slurp(path, &len);
		target((const uint8_t *)buf, len);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

START_TEST(filter_inputs_replayed)
{
	ck_assert_uint_ge(replay("tests/data/fuzz/filter", fuzz_filter), 3);
}
END_TEST

START_TEST(proto_inputs_replayed)
{
	ck_assert_uint_ge(replay("tests/data/fuzz/proto", fuzz_proto), 3);
}
END_TEST

START_TEST(picture_inputs_replayed)
{
	ck_assert_uint_ge(replay("tests/data/fuzz/picture", fuzz_picture), 1);
}
END_TEST

/*
 * The recorded seeds are pictures of this version, made by the daemon:
 * a seed the reader refuses would leave the fuzzer outside the format.
 */
START_TEST(recorded_seeds_are_pictures)
{
	static const char *const seeds[] = {
		"tests/data/fuzz/picture/seed-recorded-namespace",
		"tests/data/fuzz/picture/seed-recorded-large-group",
	};
	size_t i;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		size_t len;
		char *buf = slurp(seeds[i], &len); /* malloc's: 8-aligned */

		ck_assert_msg(fuzz_picture_list(buf, len) == 1,
			      "%s is not a picture of this version (remake "
			      "it with sockwatchctl record)",
			      seeds[i]);
		free(buf);
	}
}
END_TEST

START_TEST(recording_inputs_replayed)
{
	ck_assert_uint_ge(replay("tests/data/fuzz/recording", fuzz_recording),
			  2);
}
END_TEST

START_TEST(dump_inputs_replayed)
{
	ck_assert_uint_ge(replay("tests/data/fuzz/dump", fuzz_dump), 1);
}
END_TEST

START_TEST(destroy_inputs_replayed)
{
	ck_assert_uint_ge(replay("tests/data/fuzz/destroy", fuzz_destroy), 9);
}
END_TEST

/* What record-destroy.py heard, counted by protocol and family. */
struct heard {
	size_t tcp4, tcp6, udp4, udp6, with_info;
	uint64_t received_8080; /* by the end that accepted on :8080 */
};

static void hear(void *ctx, const struct destroy_event *ev)
{
	struct heard *h = ctx;
	int v6 = ev->rec.family == AF_INET6;

	if (ev->rec.proto == IPPROTO_TCP)
		*(v6 ? &h->tcp6 : &h->tcp4) += 1;
	else
		*(v6 ? &h->udp6 : &h->udp4) += 1;
	h->with_info += ev->has_tcp != 0;
	if (ev->rec.proto == IPPROTO_TCP && ev->rec.lport == 8080 &&
	    ev->rec.rport != 0)
		h->received_8080 = ev->tcp.bytes_received;
}

/*
 * The seeds are what the kernel sent (tests/data/record-destroy.py): the
 * parser takes them whole, so the fuzzer starts inside the format.
 */
START_TEST(recorded_destroy_seeds_parse)
{
	size_t len;
	char *buf = slurp("tests/data/fuzz/destroy/seed-recorded-all", &len);
	struct heard h = { 0 };

	ck_assert_int_eq(destroy_parse(buf, len, hear, &h), 8);
	/* a connection, its accepted end and the listener, on v4; then a v4
	 * client of a dual-stack listener, whose accepted end is v6 */
	ck_assert_uint_eq(h.tcp4, 4);
	ck_assert_uint_eq(h.tcp6, 2);
	ck_assert_uint_eq(h.udp4, 1);
	ck_assert_uint_eq(h.udp6, 1);
	ck_assert_uint_eq(h.with_info, 6);
	/* 5,000 bytes sent to it, and the FIN */
	ck_assert_uint_eq(h.received_8080, 5001);
	free(buf);
}
END_TEST

Suite *fuzz_suite(void)
{
	Suite *s = suite_create("fuzz");
	TCase *tc = tcase_create("kept inputs");

	tcase_add_test(tc, filter_inputs_replayed);
	tcase_add_test(tc, proto_inputs_replayed);
	tcase_add_test(tc, dump_inputs_replayed);
	tcase_add_test(tc, destroy_inputs_replayed);
	tcase_add_test(tc, recorded_destroy_seeds_parse);
	tcase_add_test(tc, picture_inputs_replayed);
	tcase_add_test(tc, recorded_seeds_are_pictures);
	tcase_add_test(tc, recording_inputs_replayed);
	suite_add_tcase(s, tc);
	return s;
}
