/* SPDX-License-Identifier: ISC */
/* test_filter.c - the filter parser: errors with their place, hostility. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "tests.h"
#include "util.h"

static int passes(const char *text, const struct sock_rec *r)
{
	struct filter_error err;
	struct filter *f = filter_parse(text, &err);
	int m;

	ck_assert_msg(f != NULL, "%s: %s", text, err.message);
	m = filter_match(f, r, 0, NULL);
	filter_free(f);
	return m;
}

static void refused_at(const char *text, size_t column, const char *token)
{
	struct filter_error err;
	struct filter *f = filter_parse(text, &err);

	ck_assert_msg(f == NULL, "%s was taken", text);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(err.column == column, "%s: column %zu", text, err.column);
	ck_assert_str_eq(err.token, token);
	ck_assert(err.message[0]);
}

START_TEST(errors_say_where)
{
	refused_at("sport = :80 bogus", 13, "bogus");
	refused_at("state listen", 7, "listen");
	refused_at("( sport = :80", 14, "(end)");
	refused_at("sport = :80 )", 13, ")");
	refused_at("  src [::1", 7, "[::1");
	refused_at("dport > :nosuchservice", 9, ":nosuchservice");
	refused_at("state", 6, "(end)");
}
END_TEST

/*
 * The daemon's parser takes numbers only: service and device names are
 * sockwatchctl's to resolve, so that no request makes the privileged
 * daemon wait on a resolver.
 */
START_TEST(names_are_numbers_by_the_time_they_arrive)
{
	struct sock_rec r =
		rec_make("tcp", "listen", "127.0.0.1:80", "0.0.0.0:0", 1);

	refused_at("sport = :http", 9, ":http");
	refused_at("dport ssh", 7, "ssh");
	refused_at("src 127.0.0.1:http", 5, "127.0.0.1:http");
	refused_at("dev lo", 5, "lo");
	ck_assert(passes("sport = :80", &r));
	ck_assert(passes("sport = :0x50", &r));
	ck_assert(passes("src 127.0.0.1:80", &r));
	ck_assert(passes("dev 1", &r));
	ck_assert(!passes("dev 2", &r));
}
END_TEST

/*
 * IPv4 addresses and prefixes as iproute2 reads them: numbers in any
 * base, short forms padded with zeros at the end (not inet_aton's way),
 * prefix lengths in any base or as dotted masks.
 */
START_TEST(ipv4_as_iproute2_reads_it)
{
	static const char *const bad[] = {
		"10.0.0.0/255.0.255.0", /* not ones then zeros */
		"256.0.0.1",
		"0x7f000001", /* inet_aton takes it, iproute2 does not */
		"1.2.3.4.5",
		"1..2",
		"10.0.0.0/33",
		"10.0.0.0/",
		"any/8",
		"10.0.0.0/0x21",
	};
	size_t i;
	struct sock_rec ten =
		rec_make("tcp", "listen", "10.1.2.3:80", "0.0.0.0:0", 1);
	struct sock_rec lo =
		rec_make("tcp", "listen", "127.1.0.0:80", "0.0.0.0:0", 2);
	struct sock_rec one =
		rec_make("tcp", "listen", "127.0.0.1:80", "0.0.0.0:0", 3);

	ck_assert(passes("src 10/8", &ten));
	ck_assert(passes("src 10.0.0.0/255.0.0.0", &ten));
	ck_assert(passes("src 10.1.2.0/255.255.255.0", &ten));
	ck_assert(!passes("src 10.1.3.0/255.255.255.0", &ten));
	ck_assert(passes("src 0x0a.1.2.3", &ten));
	ck_assert(passes("src 012.0x1.02.3", &ten)); /* octal 012 is 10 */
	ck_assert(passes("src 10.0.0.0/0x8", &ten));
	ck_assert(passes("src 10.1.0.0/0x10:80", &ten));
	ck_assert(!passes("src 10.1.0.0/0x10:81", &ten));
	ck_assert(passes("src 10.1/16", &ten));
	ck_assert(passes("src 127.1", &lo));
	ck_assert(!passes("src 127.1", &one));
	ck_assert(passes("src 127/255.0.0.0", &one));
	ck_assert(passes("src 0/0", &one));
	ck_assert(passes("src 0.0.0.0/0.0.0.0", &one));
	ck_assert(passes("src any", &one));
	ck_assert(passes("src all:80", &one));
	ck_assert(passes("src default", &one));
	ck_assert(!passes("src all:81", &one));
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char text[64];

		snprintf(text, sizeof(text), "src %s", bad[i]);
		refused_at(text, 5, bad[i]);
	}
}
END_TEST

/* ss's two code paths answer "sport > *" differently: it is refused. */
START_TEST(no_order_with_any_port)
{
	static const char *const refused[] = {
		"sport > *",  "sport < :*", "dport >= *",
		"dport <= :", "sport gt *", "dport lt :*",
		"sport ge *", "sport le *", "dport > :*",
	};
	struct sock_rec r =
		rec_make("tcp", "listen", "127.0.0.1:80", "0.0.0.0:0", 1);
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(*refused); i++)
		refused_at(refused[i],
			   strchr(strchr(refused[i], ' ') + 1, ' ') + 2 -
				   refused[i],
			   strrchr(refused[i], ' ') + 1);
	ck_assert(passes("sport = *", &r));
	ck_assert(passes("sport :*", &r));
	ck_assert(!passes("sport != *", &r));
}
END_TEST

START_TEST(left_to_right_like_ss)
{
	struct sock_rec r = rec_make("tcp", "established", "10.0.0.1:22",
				     "10.0.0.2:5000", 0);

	/* (true or false) and false: false, where precedence would say true */
	ck_assert(!passes("sport = :22 or sport = :23 and dport = :1", &r));
	ck_assert(passes("sport = :22 or ( sport = :23 and dport = :1 )", &r));
	ck_assert(passes("not not sport = :22", &r));
	ck_assert(passes("src 10.0.0.0/8 dst 10.0.0.2:5000", &r));
	ck_assert(!passes("state listening", &r));
	ck_assert(passes("exclude listening", &r));
	ck_assert(passes("sport >= :22 && sport <= :22", &r));
	ck_assert(!passes("sport gt 22", &r));
}
END_TEST

START_TEST(hostile_expressions)
{
	struct filter_error err;
	size_t n = 64 * 1024, i;
	char *deep = malloc(n + 1), *wide = malloc(n + 1);

	ck_assert(deep && wide);
	/* 30,000 nested parentheses: refused, not a stack overflow */
	for (i = 0; i + 2 <= n; i += 2)
		memcpy(deep + i, "( ", 2);
	deep[i] = '\0';
	ck_assert_ptr_null(filter_parse(deep, &err));
	/* 64 KiB of "!": the same */
	for (i = 0; i + 2 <= n; i += 2)
		memcpy(deep + i, "! ", 2);
	deep[i] = '\0';
	ck_assert_ptr_null(filter_parse(deep, &err));
	/* a very long or-chain: refused past the node limit */
	wide[0] = '\0';
	for (i = 0; strlen(wide) + 32 < n; i++)
		strcat(wide, i ? " or sport = :1" : "sport = :1");
	ck_assert_ptr_null(filter_parse(wide, &err));
	ck_assert_ptr_null(filter_parse("src \xff\xfe", &err));
	ck_assert_ptr_null(filter_parse("sport = :99999999999999999999", &err));
	ck_assert_ptr_null(filter_parse("src 1.2.3.4/99", &err));
	ck_assert_ptr_null(filter_parse("dev no-such-device-here", &err));
	ck_assert_ptr_null(filter_parse("dev 0x100000000", &err));
	free(deep);
	free(wide);
}
END_TEST

/* Random token soup: every input parses or is refused, never crashes. */
START_TEST(token_soup)
{
	static const char *const words[] = {
		"(",	 ")",	    "!",   "not",	"and",	       "or",
		"&&",	 "||",	    "src", "dst",	"sport",       "dport",
		"dev",	 "=",	    "!=",  ">",		"<",	       ">=",
		"<=",	 ":80",	    "*",   "[::1]",	"127.0.0.1/8", "lo",
		"state", "exclude", "all", "listening", "x",	       "",
	};
	unsigned seed = 1;
	struct filter_error err;
	char text[512];
	int i, k;

	for (i = 0; i < 20000; i++) {
		struct filter *f;

		text[0] = '\0';
		for (k = rand_r(&seed) % 12; k > 0; k--) {
			strcat(text, words[rand_r(&seed) % 30]);
			strcat(text, " ");
		}
		f = filter_parse(text, &err);
		if (f) {
			struct sock_rec r = rec_make(
				"tcp", "listen", "0.0.0.0:80", "0.0.0.0:0", 0);

			(void)filter_match(f, &r, 0, NULL);
		}
		filter_free(f);
	}
}
END_TEST

Suite *filter_suite(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, errors_say_where);
	tcase_add_test(tc, names_are_numbers_by_the_time_they_arrive);
	tcase_add_test(tc, ipv4_as_iproute2_reads_it);
	tcase_add_test(tc, no_order_with_any_port);
	tcase_add_test(tc, left_to_right_like_ss);
	tcase_add_test(tc, hostile_expressions);
	tcase_add_test(tc, token_soup);
	suite_add_tcase(s, tc);
	return s;
}
