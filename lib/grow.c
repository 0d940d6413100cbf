/* SPDX-License-Identifier: ISC */
/* grow.c - doubling arrays, zeroed where new. */
#include "grow.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int grow(void *arrp, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t want;
	void *old, *p;

	if (n < *cap)
		return 0;
	want = *cap ? *cap * 2 : first;
	if (want <= n || want > SIZE_MAX / size) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(&old, arrp, sizeof(old));
	p = realloc(old, want * size);
	if (!p)
		return -1;
	memset((char *)p + *cap * size, 0, (want - *cap) * size);
	/* the caller's pointer is of its own type: written as bytes */
	memcpy(arrp, &p, sizeof(p));
	*cap = want;
	// cppcheck-suppress memleak ; p now lives in *arrp, unseen by cppcheck
	return 0;
}
