/* SPDX-License-Identifier: ISC */
/*
 * budget.h - how often the poller may take a full picture within its
 * share of one core. A bucket of CPU time fills at that share of the
 * wall clock and every dump empties it by what it cost. A full dump
 * runs when the bucket holds two of them, so that one is always in
 * reserve for a change that cannot wait (a new listener, a fresh ask):
 * over any stretch, the poller spends no more than its share, however
 * often it is asked. It fills at 95 % of the share: what is charged is
 * all the process spent, and the rest is headroom for a minute that
 * holds one dump more than the average. Pure arithmetic on times it is
 * given.
 */
#ifndef SOCKWATCH_BUDGET_H
#define SOCKWATCH_BUDGET_H

#include <stdint.h>

#define BUDGET_WINDOW_S 60 /* the span "CPU used" is measured over */
/* full dumps whose median is the next one's estimate: one slow dump on
 * a busy machine does not hold the next wanted one back by its cost */
#define BUDGET_FULL_SEEN 5

struct budget {
	unsigned pct;	      /* of one core, 1 to 100 */
	unsigned interval_ms; /* between ticks, listeners-only or full */
	int64_t credit_us;    /* what the bucket holds; negative: owed */
	uint64_t last_ms;     /* when it was last filled */
	uint64_t full_us; /* a full dump's cost: of the last few, the median */
	uint64_t full_seen[BUDGET_FULL_SEEN]; /* the last few, oldest first */
	unsigned nfull_seen;
	uint64_t tick_us; /* the last listeners-only dump's cost */
	/* the process's CPU time, sampled about once a second */
	struct {
		uint64_t ms;
		uint64_t cpu_us;
	} win[BUDGET_WINDOW_S + 1];
	unsigned head, nwin;
};

/*
 * Starts the budget after the first full dump, which ended at now_ms and
 * cost cost_us: the bucket is full.
 */
void budget_init(struct budget *b, unsigned pct, unsigned interval_ms,
		 uint64_t now_ms, uint64_t cost_us);

/* What a tick at now_ms should do. */
enum budget_act {
	BUDGET_SKIP,	  /* nothing: even the listeners would overspend */
	BUDGET_LISTENERS, /* a listeners-only dump */
	BUDGET_FULL,	  /* a full dump */
};

/*
 * Fills the bucket up to now_ms and says what may run; wanted says a
 * full dump is waited for (it may then take the reserve).
 */
enum budget_act budget_tick(struct budget *b, uint64_t now_ms, int wanted);

/*
 * Fills the bucket up to now_ms and returns the milliseconds until a
 * waited-for full dump may run (0: now).
 */
uint64_t budget_wait(struct budget *b, uint64_t now_ms);

/*
 * Notes what a dump cost, to know what the next will: full (the median
 * of the last BUDGET_FULL_SEEN) or not (the last).
 */
void budget_estimate(struct budget *b, uint64_t cost_us, int full);

/* Takes cpu_us from the bucket: whatever the poller spent it on. */
void budget_charge(struct budget *b, uint64_t cpu_us);

/* Both: a dump that cost cost_us, charged. */
void budget_spend(struct budget *b, uint64_t cost_us, int full);

/*
 * Notes the process's CPU time at now_ms (kept once a second) and
 * returns what it used over the last BUDGET_WINDOW_S seconds, the span
 * it covers in *span_ms.
 */
uint64_t budget_used(struct budget *b, uint64_t now_ms, uint64_t cpu_us,
		     uint64_t *span_ms);

/* Milliseconds between full dumps at today's costs, as the budget has it. */
unsigned budget_full_interval(const struct budget *b);

#endif
