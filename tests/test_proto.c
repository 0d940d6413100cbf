/* SPDX-License-Identifier: ISC */
/* test_proto.c - the request codec: every check, in its order. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "tests.h"

static enum proto_code parse(const char *line, struct proto_request *req)
{
	char msg[256];

	return proto_parse(line, strlen(line), req, msg, sizeof(msg));
}

START_TEST(valid_requests)
{
	struct proto_request req;

	ck_assert_int_eq(parse("{\"v\":1,\"cmd\":\"list\"}", &req), PROTO_OK);
	ck_assert_int_eq(req.cmd, PROTO_CMD_LIST);
	ck_assert_int_eq(req.fresh, 0);
	ck_assert_int_eq(
		parse("{\"cmd\":\"list\",\"fresh\":true,\"v\":1}", &req),
		PROTO_OK);
	ck_assert_int_eq(req.fresh, 1);
	ck_assert_int_eq(parse(" {\"v\":1,\"cmd\":\"status\"} ", &req),
			 PROTO_OK);
	ck_assert_int_eq(req.cmd, PROTO_CMD_STATUS);
}
END_TEST

START_TEST(checks_come_in_order)
{
	struct proto_request req;

	/* JSON before version, version before command, command before fields */
	ck_assert_int_eq(parse("{\"v\":2,\"cmd\":", &req), PROTO_BAD_REQUEST);
	ck_assert_int_eq(parse("{\"v\":2,\"cmd\":\"nope\"}", &req),
			 PROTO_BAD_VERSION);
	ck_assert_int_eq(parse("{\"cmd\":\"list\"}", &req), PROTO_BAD_VERSION);
	ck_assert_int_eq(parse("{\"v\":\"1\",\"cmd\":\"list\"}", &req),
			 PROTO_BAD_VERSION);
	ck_assert_int_eq(parse("{\"v\":1,\"cmd\":\"nope\",\"x\":1}", &req),
			 PROTO_UNKNOWN_COMMAND);
	ck_assert_int_eq(parse("{\"v\":1}", &req), PROTO_BAD_REQUEST);
	ck_assert_int_eq(parse("{\"v\":1,\"cmd\":7}", &req), PROTO_BAD_REQUEST);
}
END_TEST

START_TEST(bad_fields_are_named)
{
	struct proto_request req;
	char msg[256];
	const char *l = "{\"v\":1,\"cmd\":\"list\",\"fersh\":true}";

	ck_assert_int_eq(proto_parse(l, strlen(l), &req, msg, sizeof(msg)),
			 PROTO_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(msg, "fersh"));
	ck_assert_int_eq(parse("{\"v\":1,\"cmd\":\"list\",\"fresh\":1}", &req),
			 PROTO_BAD_REQUEST);
	ck_assert_int_eq(
		parse("{\"v\":1,\"cmd\":\"status\",\"fresh\":true}", &req),
		PROTO_BAD_REQUEST);
}
END_TEST

START_TEST(hostile_input)
{
	static const char *const bad[] = {
		"",
		"[]",
		"null",
		"1",
		"\"list\"",
		"{",
		"{\"v\":1,\"v\":1,\"cmd\":\"list\"}",
		"{\"v\":1,\"cmd\":\"list\"}{}",
		"{\"v\":1,\"cmd\":\"l\xffst\"}",
	};
	struct proto_request req;
	char deep[4096];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &req) != PROTO_OK, "accepted %s",
			      bad[i]);
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	ck_assert_int_eq(parse(deep, &req), PROTO_BAD_REQUEST);
}
END_TEST

START_TEST(embedded_nul_is_not_json)
{
	struct proto_request req;
	char msg[256];
	const char l[] = "{\"v\":1,\"cmd\":\"li\0st\"}";

	ck_assert_int_ne(proto_parse(l, sizeof(l) - 1, &req, msg, sizeof(msg)),
			 PROTO_OK);
}
END_TEST

START_TEST(too_long_is_too_large)
{
	struct proto_request req;
	size_t n = PROTO_MAX_LINE + 1;
	char *l = malloc(n + 1), msg[256];

	ck_assert_ptr_nonnull(l);
	memset(l, ' ', n);
	l[n] = '\0';
	ck_assert_int_eq(proto_parse(l, n, &req, msg, sizeof(msg)),
			 PROTO_TOO_LARGE);
	free(l);
}
END_TEST

START_TEST(records_round_trip)
{
	struct proto_request req = { PROTO_CMD_LIST, 1, NULL, PROTO_VIEW_COUNTS,
				     0 },
			     back;
	struct proto_status st = {
		.version = "9.9", .pid = 42, .polls = 7, .udp_available = 1
	};
	struct jbuf b = { 0 };
	json_t *o;
	char msg[256];

	proto_request(&b, &req);
	ck_assert_int_eq(b.p[b.len - 1], '\n');
	ck_assert_int_eq(proto_parse(b.p, b.len - 1, &back, msg, sizeof(msg)),
			 PROTO_OK);
	ck_assert_int_eq(back.fresh, 1);
	ck_assert_int_eq(back.view, PROTO_VIEW_COUNTS);
	jbuf_reset(&b);
	/* a view is one of three words */
	ck_assert_int_eq(
		proto_parse("{\"v\":1,\"cmd\":\"list\",\"view\":"
			    "\"all\"}",
			    strlen("{\"v\":1,\"cmd\":\"list\",\"view\":"
				   "\"all\"}"),
			    &back, msg, sizeof(msg)),
		PROTO_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(msg, "\"view\" must be"));
	proto_error(&b, PROTO_TOO_LARGE, "say \"why\"\n");
	o = json_loadb(b.p, b.len, 0, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "type")),
			 "error");
	ck_assert_str_eq(json_string_value(json_object_get(o, "code")),
			 "too_large");
	ck_assert_str_eq(json_string_value(json_object_get(o, "message")),
			 "say \"why\"\n");
	json_decref(o);
	jbuf_reset(&b);
	proto_status(&b, &st);
	o = json_loadb(b.p, b.len, 0, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "pid")), 42);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "polls")), 7);
	ck_assert(json_is_true(json_object_get(o, "udp_available")));
	json_decref(o);
	jbuf_free(&b);
}
END_TEST

START_TEST(code_names_are_a_fixed_set)
{
	unsigned i;

	for (i = 1; i < PROTO_NCODES; i++)
		ck_assert_int_eq(proto_code_of(proto_code_name(i)), i);
	ck_assert_int_eq(proto_code_of("nonsense"), PROTO_NCODES);
	ck_assert_ptr_null(proto_code_name(PROTO_NCODES));
}
END_TEST

Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, valid_requests);
	tcase_add_test(tc, checks_come_in_order);
	tcase_add_test(tc, bad_fields_are_named);
	tcase_add_test(tc, hostile_input);
	tcase_add_test(tc, embedded_nul_is_not_json);
	tcase_add_test(tc, too_long_is_too_large);
	tcase_add_test(tc, records_round_trip);
	tcase_add_test(tc, code_names_are_a_fixed_set);
	suite_add_tcase(s, tc);
	return s;
}
