/* SPDX-License-Identifier: ISC */
/*
 * test_fuzz.c - every input kept under tests/data/fuzz/NAME/, seeds and
 * whatever the fuzzers once found, replayed through the fuzz targets.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tests.h"

/* Runs target over each file of dir; returns how many there were. */
static size_t replay(const char *dir, int (*target)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((e = readdir(d))) {
		char path[512], *buf;
		FILE *f;
		long len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		ck_assert_msg(f != NULL, "cannot open %s", path);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		buf = malloc((size_t)len + 1);
		ck_assert_ptr_nonnull(buf);
		ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		target((const uint8_t *)buf, (size_t)len);
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
		FILE *f = fopen(seeds[i], "rb");
		void *buf = aligned_alloc(8, 1 << 20);
		size_t len;

		ck_assert_msg(f != NULL, "cannot open %s", seeds[i]);
		ck_assert_ptr_nonnull(buf);
		len = fread(buf, 1, 1 << 20, f);
		fclose(f);
		ck_assert_msg(fuzz_picture_list(buf, len) == 1,
			      "%s is not a picture of this version (remake "
			      "it with sockwatchctl record)",
			      seeds[i]);
		free(buf);
	}
}
END_TEST

START_TEST(dump_inputs_replayed)
{
	ck_assert_uint_ge(replay("tests/data/fuzz/dump", fuzz_dump), 1);
}
END_TEST

Suite *fuzz_suite(void)
{
	Suite *s = suite_create("fuzz");
	TCase *tc = tcase_create("kept inputs");

	tcase_add_test(tc, filter_inputs_replayed);
	tcase_add_test(tc, proto_inputs_replayed);
	tcase_add_test(tc, dump_inputs_replayed);
	tcase_add_test(tc, picture_inputs_replayed);
	tcase_add_test(tc, recorded_seeds_are_pictures);
	suite_add_tcase(s, tc);
	return s;
}
