/* SPDX-License-Identifier: ISC */
/* users.h - user names looked up beside the poll, never in its way. */
#ifndef SOCKWATCHD_USERS_H
#define SOCKWATCHD_USERS_H

#include <stddef.h>
#include <stdint.h>

struct users;

/* Starts the lookup thread; NULL with errno when it cannot. */
struct users *users_open(void);

/*
 * A procs_namer: the name of uid into buf and 1 once the thread has
 * looked it up (the answer is then handed over and forgotten here);
 * else 0, the lookup queued. Never waits for NSS.
 */
int users_name(void *users, uint32_t uid, char *buf, size_t size);

/* Stops the thread (after the lookup it is in, if any) and frees it. */
void users_close(struct users *u);

#endif
