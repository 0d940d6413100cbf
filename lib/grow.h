/* SPDX-License-Identifier: ISC */
/* grow.h - the one way arrays here grow. */
#ifndef SOCKWATCH_GROW_H
#define SOCKWATCH_GROW_H

#include <stddef.h>

/*
 * Makes room in the array *arrp (of elements of size bytes, *cap of them
 * allocated) for element n: when n has reached *cap, doubles it (first
 * when it is 0) and zeroes the new elements. Returns 0, or -1 (ENOMEM)
 * with the array and *cap as they were. arrp is the address of the
 * array's pointer, of any element type.
 */
int grow(void *arrp, size_t *cap, size_t n, size_t size, size_t first);

#endif
