/* SPDX-License-Identifier: ISC */
/* sd.h - the two systemd protocols the daemon speaks, without libsystemd. */
#ifndef SOCKWATCHD_SD_H
#define SOCKWATCHD_SD_H

/* How many sockets systemd passed this process, from fd 3 on. */
int sd_listen_fds(void);

/* The listening socket systemd passed (fd 3), or -1 when none was. */
int sd_listen_fd(void);

/* Sends a state line ("READY=1") to $NOTIFY_SOCKET; quiet without one. */
void sd_notify_state(const char *state);

#endif
