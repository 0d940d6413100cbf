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

#define USERS_SLOTS 256 /* lookups queued or answered, not yet taken */
#define USERS_NAME 256

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

struct users {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int quit;
	struct {
		uint32_t uid;
		enum slot_state state;
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

static void *users_thread(void *arg)
{
	struct users *u = arg;
	int i;

	pthread_mutex_lock(&u->mu);
	while ((i = users_next(u)) >= 0) {
		struct passwd pw, *res = NULL;
		uint32_t uid = u->slot[i].uid;
		char buf[1024], name[USERS_NAME];

		pthread_mutex_unlock(&u->mu);
		if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
			snprintf(name, sizeof(name), "%s", pw.pw_name);
		else /* no such user: its number is its name */
			snprintf(name, sizeof(name), "%u", (unsigned)uid);
		pthread_mutex_lock(&u->mu);
		memcpy(u->slot[i].name, name, sizeof(name));
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

	pthread_mutex_lock(&u->mu);
	for (i = 0; i < USERS_SLOTS; i++) {
		if (u->slot[i].state == SLOT_FREE) {
			free_slot = free_slot < 0 ? i : free_slot;
			continue;
		}
		if (u->slot[i].uid != uid) {
			/* an answer nobody took: its uid left before it came */
			if (u->slot[i].state == SLOT_DONE && stale < 0)
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
