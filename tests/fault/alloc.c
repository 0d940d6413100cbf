/* SPDX-License-Identifier: ISC */
/*
 * alloc.c - running out of memory on demand, by LD_PRELOAD: while the
 * file FAULT_ALLOC_FILE exists, every malloc, calloc or realloc of
 * FAULT_ALLOC_MIN bytes or more (default 65536) fails with ENOMEM, so a
 * test can make the next picture fail and the one after succeed. Apart
 * from the shim for the other faults: it replaces the allocator's entry
 * points, which a sanitizer or valgrind owns (tests do not use it there).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

static int alloc_fails(size_t n)
{
	const char *file = getenv("FAULT_ALLOC_FILE");
	const char *min = getenv("FAULT_ALLOC_MIN");

	if (!file || n < (min ? strtoul(min, NULL, 10) : 65536) ||
	    access(file, F_OK) != 0)
		return 0;
	errno = ENOMEM;
	return 1;
}

void *malloc(size_t n)
{
	return alloc_fails(n) ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return n && size <= (size_t)-1 / n && alloc_fails(n * size)
		       ? NULL
		       : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return alloc_fails(n) ? NULL : __libc_realloc(p, n);
}
