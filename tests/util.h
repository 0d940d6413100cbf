/* SPDX-License-Identifier: ISC */
/* util.h - helpers shared by the test suites. */
#ifndef SOCKWATCH_TEST_UTIL_H
#define SOCKWATCH_TEST_UTIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sockrec.h"

#ifndef BUILD_DIR
#define BUILD_DIR "build"
/* A status record of the daemon on sock (retried while it starts). */
json_t *status_of(const char *sock);

/* A number from the daemon's status record. */
json_int_t status_num(const char *sock, const char *key);

#endif

/*
 * A record from text: proto "tcp"/"udp", a state word ("listen",
 * "established", "time-wait", "close-wait", "syn-recv", "close"...),
 * endpoints as "1.2.3.4:80" or "[::1]:80".
 */
struct sock_rec rec_make(const char *proto, const char *state,
			 const char *local, const char *remote,
			 uint32_t ifindex);

/* Parses "1.2.3.4:80" / "[::1]:80" into family, address and port. */
int addr_parse(const char *text, uint8_t *family, uint8_t *addr,
	       uint16_t *port);

/* Runs argv, collecting stdout (and stderr into *err if given). */
int run_cmd(char *const argv[], char **out, char **err);

/* A fresh temporary directory for sockets, removed by the caller. */
char *tmpdir_make(void);

/* Starts sockwatchd on sock with extra arguments; waits until it serves. */
pid_t daemon_start(const char *sock, char *const extra[]);

/* SIGTERMs the daemon and returns its exit status (or 128+signal). */
int daemon_stop(pid_t pid);

/* Runs sockwatchctl -s sock with args; returns its exit status. */
int ctl_run(const char *sock, char *const args[], char **out, char **err);

/* Parses the JSON document in text; fails the test if it is not one. */
json_t *json_doc(const char *text);

/* A unix socket bound to path (type SOCK_STREAM or SOCK_DGRAM). */
int unix_bind(const char *path, int type);

/* Validates a sockwatch/1 document against the JSON Schema, or fails. */
void schema_check(const char *doc);

/* Validates control-socket records, one a line, or fails. */
void schema_check_lines(const char *records);

/* Connects a raw client to the control socket; -1 on failure. */
int client_connect(const char *sock);

/* Sends all of s on fd. */
void client_send(int fd, const char *s, size_t len);

/* Reads one line (newline excluded) within ms; NULL on EOF or timeout. */
char *client_line(int fd, int ms);

/* The resident set size of a process in KiB. */
long rss_kib(pid_t pid);

/* Moves the calling test into a new network namespace, loopback up. */
void netns_fresh(void);

/*
 * A child that listens on ep (NULL: only keeps what it inherits) and
 * waits to be killed (it dies with the test), named comm and running as
 * uid 65534 when asked; returns its pid once it listens.
 */
pid_t listener_child(const char *ep, const char *comm, int as_nobody);

/* Whether this run may take other uids (real root, not a user namespace). */
int can_switch_uid(void);

/* fork() whose child runs as uid and gid 65534 and dies with the test. */
pid_t fork_as_nobody(void);

/*
 * A connection to the daemon on sock made by uid 65534 (which the daemon
 * knows it by), handed to the test to use.
 */
int client_connect_as_nobody(const char *sock);

/* In a forked helper: be killed when the test process dies. */
void child_dies_with_parent(void);

/* Milliseconds on the monotonic clock. */
uint64_t now_ms(void);

/* A status record of the daemon on sock (retried while it starts). */
json_t *status_of(const char *sock);

/* A number from the daemon's status record. */
json_int_t status_num(const char *sock, const char *key);

#endif
