/* SPDX-License-Identifier: ISC */
/* budget.c - the poller's CPU bucket. */
#include "budget.h"

#include <string.h>

/*
 * pct % of a millisecond of wall clock is pct * 10 us of CPU; the
 * bucket takes 95 % of that.
 */
static uint64_t budget_earned(const struct budget *b, uint64_t ms)
{
	return ms * b->pct * 95 / 10;
}

/*
 * The bucket holds two full dumps, a tick's listeners and what a tick
 * earns, but never more than three dumps: more is not saved up, so
 * that an hour's --interval stores no hour of credit for a burst.
 */
static int64_t budget_cap(const struct budget *b)
{
	uint64_t earn = budget_earned(b, b->interval_ms);

	return (int64_t)(2 * b->full_us + b->tick_us +
			 (earn < b->full_us ? earn : b->full_us));
}

/* The lower median of the full dumps seen lately. */
static uint64_t budget_full_median(const struct budget *b)
{
	uint64_t v[BUDGET_FULL_SEEN] = { 0 };
	unsigned i, j, n = b->nfull_seen;

	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		uint64_t x = b->full_seen[i];

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[(n - 1) / 2];
}

static void budget_full_seen(struct budget *b, uint64_t cost_us)
{
	if (b->nfull_seen == BUDGET_FULL_SEEN) {
		memmove(b->full_seen, b->full_seen + 1,
			sizeof(b->full_seen[0]) * (BUDGET_FULL_SEEN - 1));
		b->nfull_seen--;
	}
	b->full_seen[b->nfull_seen++] = cost_us;
	b->full_us = budget_full_median(b);
}

void budget_init(struct budget *b, unsigned pct, unsigned interval_ms,
		 uint64_t now_ms, uint64_t cost_us)
{
	memset(b, 0, sizeof(*b));
	b->pct = pct ? pct : 1;
	b->interval_ms = interval_ms ? interval_ms : 1;
	budget_full_seen(b, cost_us);
	/*
	 * The first dump, cold (every process read for the first time), is
	 * the start's, not the budget's: the bucket starts full, so that
	 * the next tick measures what a dump costs from then on.
	 */
	b->credit_us = (int64_t)(2 * cost_us);
	b->last_ms = now_ms;
}

static void budget_fill(struct budget *b, uint64_t now_ms)
{
	int64_t cap = budget_cap(b);

	if (now_ms > b->last_ms) {
		b->credit_us += (int64_t)budget_earned(b, now_ms - b->last_ms);
		b->last_ms = now_ms;
	}
	if (b->credit_us > cap)
		b->credit_us = cap;
}

enum budget_act budget_tick(struct budget *b, uint64_t now_ms, int wanted)
{
	int64_t need = (int64_t)b->full_us * (wanted ? 1 : 2);

	budget_fill(b, now_ms);
	if (b->credit_us >= need)
		return BUDGET_FULL;
	/*
	 * A debt (a fresh ask served at once) is paid by full dumps
	 * coming later, not by stale listeners; only listeners-only dumps
	 * that cost more than a tick earns wait for credit.
	 */
	if (b->tick_us < budget_earned(b, b->interval_ms) ||
	    b->credit_us >= (int64_t)b->tick_us)
		return BUDGET_LISTENERS;
	return BUDGET_SKIP;
}

uint64_t budget_wait(struct budget *b, uint64_t now_ms)
{
	uint64_t per_ms = budget_earned(b, 1);
	int64_t lack;

	budget_fill(b, now_ms);
	lack = (int64_t)b->full_us - b->credit_us;
	return lack <= 0 ? 0 : ((uint64_t)lack + per_ms - 1) / per_ms;
}

void budget_estimate(struct budget *b, uint64_t cost_us, int full)
{
	if (full)
		budget_full_seen(b, cost_us);
	else
		b->tick_us = cost_us;
}

void budget_charge(struct budget *b, uint64_t cpu_us)
{
	b->credit_us -= (int64_t)cpu_us;
}

void budget_spend(struct budget *b, uint64_t cost_us, int full)
{
	budget_estimate(b, cost_us, full);
	budget_charge(b, cost_us);
}

uint64_t budget_used(struct budget *b, uint64_t now_ms, uint64_t cpu_us,
		     uint64_t *span_ms)
{
	const unsigned n = BUDGET_WINDOW_S + 1;
	unsigned last = (b->head + n - 1) % n, oldest;

	if (!b->nwin || now_ms >= b->win[last].ms + 1000) {
		b->win[b->head].ms = now_ms;
		b->win[b->head].cpu_us = cpu_us;
		b->head = (b->head + 1) % n;
		if (b->nwin < n)
			b->nwin++;
	}
	oldest = (b->head + n - b->nwin) % n;
	*span_ms = now_ms - b->win[oldest].ms;
	return cpu_us - b->win[oldest].cpu_us;
}

unsigned budget_full_interval(const struct budget *b)
{
	/* CPU a tick earns, less what the listeners-only dump spends */
	uint64_t earn = budget_earned(b, b->interval_ms), ticks;

	if (earn <= b->tick_us)
		return 0; /* not even the listeners fit: ticks are skipped */
	if (earn >= b->full_us)
		return b->interval_ms;
	/* k ticks pay for one full dump and k - 1 listeners-only ones */
	ticks = (b->full_us - b->tick_us + earn - b->tick_us - 1) /
		(earn - b->tick_us);
	return (unsigned)(ticks * b->interval_ms);
}
