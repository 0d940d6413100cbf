/* SPDX-License-Identifier: ISC */
/*
 * ipc.h - the channel between poller and server: a SOCK_SEQPACKET pair
 * carrying fixed-size typed messages, a picture's memfd riding along
 * with SCM_RIGHTS. No client byte ever crosses it.
 */
#ifndef SOCKWATCHD_IPC_H
#define SOCKWATCHD_IPC_H

#include <stdint.h>

enum ipc_type {
	IPC_PICTURE = 1, /* poller: a new picture (fd) and the poll's status */
	IPC_POLL_FAILED, /* poller: a poll failed; the status says how */
	IPC_FRESH,	 /* server: a client wants a picture taken from now */
	IPC_TAKEN,	 /* server: done with the last poll's message */
	IPC_OVERLAY,	 /* poller: the listeners now (fd), over the picture */
	IPC_NTYPES
};

/* A fresh ask's flags: whose it is. */
#define IPC_FRESH_FULL_VIEW 0x01 /* a client who may see everything */

enum ipc_attr { IPC_ATTR_OFF, IPC_ATTR_COMPLETE, IPC_ATTR_PARTIAL };

/* Why attribution is partial. */
enum ipc_why { IPC_WHY_NONE, IPC_WHY_OOM, IPC_WHY_HIDEPID, IPC_WHY_DENIED };

/* What the poller knows of itself, for the status command. */
struct ipc_status {
	uint64_t polls;
	uint64_t errors;
	uint64_t last_scan_us;
	uint64_t generation;
	uint64_t attr_us;
	uint64_t procs_known;
	uint64_t procs_denied;
	uint64_t sockets_unowned;
	uint64_t poll_start_ms;	 /* CLOCK_MONOTONIC: when the last poll began */
	uint64_t listener_polls; /* listeners-only dumps */
	uint64_t listener_scan_us; /* the last one's */
	uint64_t listener_errors;
	uint64_t cpu_us;	/* the poller's CPU over the last minute */
	uint64_t cpu_window_ms; /* that minute, shorter at the start */
	uint32_t
		full_interval_ms; /* between full dumps, as the budget has it */
	uint32_t cpu_budget_pct;
	uint32_t interval_ms;
	uint32_t attribution; /* enum ipc_attr */
	uint32_t why;	      /* enum ipc_why */
	uint32_t has_caps;    /* CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE */
	int32_t poll_errno;   /* of the failed poll */
	int32_t pid;	      /* the poller's */
	char hidepid[16];     /* /proc's hidepid= when it hides from us */
};

struct ipc_msg {
	uint32_t type;	/* enum ipc_type */
	uint32_t flags; /* IPC_FRESH_* */
	struct ipc_status st;
};

/*
 * Sends m, with fd (-1 for none) passed along. Returns 0, or -1 with
 * errno; EAGAIN when the channel is full.
 */
int ipc_send(int sock, const struct ipc_msg *m, int fd);

/*
 * Receives one message into m and the fd that came with it into *fd (-1
 * for none; any other fds are closed). Returns 1, 0 when the other side
 * has gone, or -1 with errno (EBADMSG for a message of the wrong size or
 * type, EAGAIN when none is waiting).
 */
int ipc_recv(int sock, struct ipc_msg *m, int *fd);

#endif
