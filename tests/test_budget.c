/* SPDX-License-Identifier: ISC */
/*
 * test_budget.c - the poller's CPU bucket, driven through simulated
 * hours of ticks: whatever the dumps cost and however often a full one
 * is wanted, the CPU charged stays within the share plus what the
 * bucket can hold.
 */
#include <check.h>

#include "budget.h"
#include "tests.h"

struct sim {
	uint64_t spent_us;
	unsigned fulls, ticks;
	uint64_t first_full_ms, last_full_ms;
};

/*
 * Ticks every interval for span_ms; full and listener dumps cost what
 * they are given; wanted_every (0: never) ticks ask for a full dump.
 */
static void run(struct budget *b, struct sim *s, uint64_t from_ms,
		uint64_t span_ms, uint64_t full_us, uint64_t tick_us,
		unsigned wanted_every)
{
	uint64_t t;

	for (t = from_ms; t < from_ms + span_ms; t += b->interval_ms) {
		int wanted = wanted_every && s->ticks % wanted_every == 0;
		enum budget_act act = budget_tick(b, t, wanted);

		s->ticks++;
		if (act == BUDGET_FULL) {
			budget_spend(b, full_us, 1);
			s->spent_us += full_us;
			if (!s->fulls++)
				s->first_full_ms = t;
			s->last_full_ms = t;
		} else if (act == BUDGET_LISTENERS) {
			budget_spend(b, tick_us, 0);
			s->spent_us += tick_us;
		}
	}
}

START_TEST(a_cheap_dump_runs_every_interval)
{
	struct budget b;
	struct sim s = { 0 };

	/* 10 ms a dump, 5 % of a core earns 47.5 ms a second */
	budget_init(&b, 5, 1000, 0, 10000);
	run(&b, &s, 1000, 600000, 10000, 300, 0);
	ck_assert_uint_eq(s.fulls, s.ticks);
	ck_assert_uint_eq(budget_full_interval(&b), 1000);
}
END_TEST

START_TEST(a_dear_dump_is_spaced_to_the_share)
{
	struct budget b;
	struct sim s = { 0 };
	const uint64_t hour = 3600000;
	unsigned every;

	/* a million sockets: 1.05 s a full dump, 2 ms the listeners */
	budget_init(&b, 5, 1000, 0, 1050000);
	run(&b, &s, 1000, hour, 1050000, 2000, 0);
	/* at most 95 % of 5 % of the hour, plus the bucket it started with */
	ck_assert_uint_le(s.spent_us, hour * 475 / 10 + 2 * 1050000);
	/* and not far below it: the budget is used, not hoarded */
	ck_assert_uint_ge(s.spent_us, hour * 475 / 10 - 2 * 1050000);
	every = (unsigned)((s.last_full_ms - s.first_full_ms) / (s.fulls - 1));
	ck_assert_uint_eq(budget_full_interval(&b), 24000);
	ck_assert_uint_ge(every, 22000);
	ck_assert_uint_le(every, 24000);
	/* every tick in between looked at the listeners */
	ck_assert_uint_eq(s.ticks, hour / 1000);
}
END_TEST

START_TEST(wanted_dumps_take_the_reserve_not_more)
{
	struct budget b;
	struct sim s = { 0 }, calm = { 0 };
	const uint64_t hour = 3600000;

	budget_init(&b, 5, 1000, 0, 1050000);
	run(&b, &calm, 1000, 600000, 1050000, 2000, 0);
	/* after a calm stretch, a wanted dump may run at once... */
	ck_assert_int_eq(budget_tick(&b, 601000, 1), BUDGET_FULL);
	budget_spend(&b, 1050000, 1);
	/* ...and then no other until the bucket refills */
	ck_assert_int_eq(budget_tick(&b, 602000, 1), BUDGET_LISTENERS);
	ck_assert_uint_gt(budget_wait(&b, 602000), 0);
	ck_assert_uint_le(budget_wait(&b, 602000), 23000);
	/* asked for on every tick for an hour, the share still holds */
	run(&b, &s, 602000, hour, 1050000, 2000, 1);
	ck_assert_uint_le(s.spent_us, hour * 475 / 10 + 3 * 1050000 + 2000);
	ck_assert_uint_ge(s.fulls, 150);
}
END_TEST

START_TEST(a_debt_does_not_starve_the_listeners)
{
	struct budget b;

	budget_init(&b, 5, 1000, 0, 1050000);
	/* fresh asks of one who sees all: served at once, charged */
	budget_spend(&b, 1050000, 1);
	budget_spend(&b, 1050000, 1);
	budget_spend(&b, 1050000, 1);
	ck_assert_int_eq(budget_tick(&b, 1000, 0), BUDGET_LISTENERS);
	budget_spend(&b, 2000, 0);
	ck_assert_uint_gt(budget_wait(&b, 1000), 40000);
	/* listeners dearer than a tick earns wait for credit */
	budget_spend(&b, 60000, 0);
	ck_assert_int_eq(budget_tick(&b, 2000, 0), BUDGET_SKIP);
	ck_assert_uint_eq(budget_full_interval(&b), 0);
}
END_TEST

/*
 * What the next full dump will cost is the median of the last few: one
 * slow dump on a busy machine neither holds a wanted one back by its
 * cost nor stretches the interval, and a lasting change moves both.
 */
START_TEST(one_slow_dump_does_not_move_the_estimate)
{
	struct budget b;
	struct sim s = { 0 };
	int i;

	/* the first, cold dump is soon out of the estimate too */
	budget_init(&b, 5, 1000, 0, 90000);
	run(&b, &s, 1000, 60000, 30000, 300, 0);
	ck_assert_uint_eq(b.full_us, 30000);
	ck_assert_uint_eq(budget_full_interval(&b), 1000);
	budget_estimate(&b, 300000, 1);
	ck_assert_uint_eq(b.full_us, 30000);
	ck_assert_uint_eq(budget_full_interval(&b), 1000);
	for (i = 0; i < 2; i++)
		budget_estimate(&b, 300000, 1);
	ck_assert_uint_eq(b.full_us, 300000);
	ck_assert_uint_eq(budget_full_interval(&b), 7000);
}
END_TEST

START_TEST(cpu_used_is_over_the_last_minute)
{
	struct budget b;
	uint64_t span, used = 0, t;

	budget_init(&b, 5, 1000, 0, 1000);
	ck_assert_uint_eq(budget_used(&b, 0, 0, &span), 0);
	ck_assert_uint_eq(span, 0);
	/* 30 ms of CPU a second for two minutes */
	for (t = 500; t <= 120000; t += 500)
		used = budget_used(&b, t, t * 30, &span);
	ck_assert_uint_ge(span, 59000);
	ck_assert_uint_le(span, 61000);
	ck_assert_uint_eq(used, span * 30);
}
END_TEST

Suite *budget_suite(void)
{
	Suite *s = suite_create("budget");
	TCase *tc = tcase_create("share");

	tcase_add_test(tc, a_cheap_dump_runs_every_interval);
	tcase_add_test(tc, a_dear_dump_is_spaced_to_the_share);
	tcase_add_test(tc, wanted_dumps_take_the_reserve_not_more);
	tcase_add_test(tc, a_debt_does_not_starve_the_listeners);
	tcase_add_test(tc, one_slow_dump_does_not_move_the_estimate);
	tcase_add_test(tc, cpu_used_is_over_the_last_minute);
	suite_add_tcase(s, tc);
	return s;
}
