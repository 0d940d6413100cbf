/* SPDX-License-Identifier: ISC */
/* mem.h - the daemon's memory given back to the system once it is free. */
#ifndef SOCKWATCHD_MEM_H
#define SOCKWATCHD_MEM_H

#include <stdint.h>

/* Sets the allocator up for pictures that come and go by the megabyte. */
void mem_init(void);

/* Gives free heap pages back, at most every few seconds (now: ms). */
void mem_trim(uint64_t now_ms);

#endif
