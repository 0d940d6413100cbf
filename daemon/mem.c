/* SPDX-License-Identifier: ISC */
/*
 * mem.c - memory that comes back. A picture of 50,000 sockets is several
 * arrays of megabytes, its encoded listing tens of them, and a reader
 * that stalls holds a picture for its timeout; a new one comes every
 * poll. glibc's malloc, left to itself, raises its mmap threshold each
 * time such a block is freed, until blocks up to 32 MiB come from the
 * heap, where they fragment and stay: the daemon's RSS followed the
 * worst moment of its life. With a fixed threshold every large block is
 * mapped alone and unmapped when freed, and the rest of the heap is
 * trimmed now and then.
 */
#include "mem.h"

#include <malloc.h>

#define MEM_MMAP_MIN (128 * 1024) /* blocks this large are mapped alone */
#define MEM_TRIM_MS 5000

void mem_init(void)
{
	mallopt(M_MMAP_THRESHOLD, MEM_MMAP_MIN);
	mallopt(M_TRIM_THRESHOLD, 2 * MEM_MMAP_MIN);
}

void mem_trim(uint64_t now_ms)
{
	static uint64_t last;

	if (now_ms - last < MEM_TRIM_MS)
		return;
	last = now_ms;
	malloc_trim(0);
}
