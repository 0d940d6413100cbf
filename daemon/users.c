/* SPDX-License-Identifier: ISC */
/*
 * users.c - user names for the owner map, from a thread of their own.
 * getpwuid_r may ask LDAP or sssd and take seconds; in the poll it would
 * stall the picture and every client behind it. The poll asks here,
 * takes what the thread has found, and shows a number meanwhile.
 */
#include "users.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USERS_SLOTS 256 /* lookups queued or answered, not yet taken */
#define USERS_NAME 256
#define USERS_KEEP_MS 10000 /* an answer nobody took in this long is let go */
#define USERS_BUF_MAX 65536 /* for getpwuid_r, grown on ERANGE */

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

struct users {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int quit;
	struct {
		uint32_t uid;
		enum slot_state state;
		uint64_t done_ms; /* when the answer came */
		char name[USERS_NAME];
	} slot[USERS_SLOTS];
};

/* A queued slot, marked busy; -1 to stop. Called with mu held. */
static int users_next(struct users *u)
{
	int i;

	for (;;) {
		if (u->quit)
			return -1;
		for (i = 0; i < USERS_SLOTS; i++)
			if (u->slot[i].state == SLOT_QUEUED) {
				u->slot[i].state = SLOT_BUSY;
				return i;
			}
		pthread_cond_wait(&u->cv, &u->mu);
	}
}

/* The passwd name of uid, its number when it has none. */
static void users_lookup(uint32_t uid, char *name, size_t size)
{
	size_t len = 1024;
	char *buf = NULL;
	int e = ERANGE;

	while (e == ERANGE && len <= USERS_BUF_MAX) {
		struct passwd pw, *res = NULL;
		char *nbuf = realloc(buf, len);

		if (!nbuf)
			break;
		buf = nbuf;
		e = getpwuid_r(uid, &pw, buf, len, &res);
		if (e == 0 && res) {
			snprintf(name, size, "%s", pw.pw_name);
			free(buf);
			return;
		}
		len *= 2;
	}
	free(buf);
	snprintf(name, size, "%u", (unsigned)uid);
}

static uint64_t users_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *users_thread(void *arg)
{
	struct users *u = arg;
	int i;

	pthread_mutex_lock(&u->mu);
	while ((i = users_next(u)) >= 0) {
		uint32_t uid = u->slot[i].uid;
		char name[USERS_NAME];

		pthread_mutex_unlock(&u->mu);
		users_lookup(uid, name, sizeof(name));
		pthread_mutex_lock(&u->mu);
		memcpy(u->slot[i].name, name, sizeof(name));
		u->slot[i].done_ms = users_now_ms();
		u->slot[i].state = SLOT_DONE;
	}
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

struct users *users_open(void)
{
	struct users *u = calloc(1, sizeof(*u));
	int e;

	if (!u)
		return NULL;
	pthread_mutex_init(&u->mu, NULL);
	pthread_cond_init(&u->cv, NULL);
	e = pthread_create(&u->thread, NULL, users_thread, u);
	if (e) {
		pthread_cond_destroy(&u->cv);
		pthread_mutex_destroy(&u->mu);
		free(u);
		errno = e;
		return NULL;
	}
	return u;
}

int users_name(void *users, uint32_t uid, char *buf, size_t size)
{
	struct users *u = users;
	int i, free_slot = -1, stale = -1, known = 0;
	uint64_t now = users_now_ms();

	pthread_mutex_lock(&u->mu);
	for (i = 0; i < USERS_SLOTS; i++) {
		if (u->slot[i].state == SLOT_FREE) {
			free_slot = free_slot < 0 ? i : free_slot;
			continue;
		}
		if (u->slot[i].uid != uid) {
			/* an answer nobody took: its uid left before it came */
			if (u->slot[i].state == SLOT_DONE && stale < 0 &&
			    now - u->slot[i].done_ms > USERS_KEEP_MS)
				stale = i;
			continue;
		}
		if (u->slot[i].state == SLOT_DONE) {
			snprintf(buf, size, "%s", u->slot[i].name);
			u->slot[i].state = SLOT_FREE;
			known = 1;
		}
		free_slot = -2; /* asked already */
		break;
	}
	if (free_slot == -1)
		free_slot = stale;
	if (free_slot >= 0) {
		u->slot[free_slot].uid = uid;
		u->slot[free_slot].state = SLOT_QUEUED;
		pthread_cond_signal(&u->cv);
	}
	pthread_mutex_unlock(&u->mu);
	return known;
}

void users_close(struct users *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->mu);
	u->quit = 1;
	pthread_cond_signal(&u->cv);
	pthread_mutex_unlock(&u->mu);
	pthread_join(u->thread, NULL);
	pthread_cond_destroy(&u->cv);
	pthread_mutex_destroy(&u->mu);
	free(u);
}
