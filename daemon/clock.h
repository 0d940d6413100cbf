/* SPDX-License-Identifier: ISC */
/* clock.h - monotonic and wall time in the units the daemon counts in. */
#ifndef SOCKWATCHD_CLOCK_H
#define SOCKWATCHD_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic microseconds, for durations. */
static inline uint64_t clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Monotonic milliseconds, for ages and timeouts. */
static inline uint64_t clock_mono_ms(void)
{
	return clock_mono_us() / 1000u;
}

/* Wall-clock milliseconds since the epoch, for the times events carry. */
static inline int64_t clock_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
