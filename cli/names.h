/* SPDX-License-Identifier: ISC */
/* names.h - host, service and device names in a filter, made numbers. */
#ifndef SOCKWATCHCTL_NAMES_H
#define SOCKWATCHCTL_NAMES_H

#include "picture.h"

/*
 * Returns filter with the names in it replaced by the numbers the daemon
 * takes, resolved here and never in the privileged daemon, whose every
 * client and poll a slow resolver would stall:
 *  - a host after src/dst by the one address the ss of this host matches
 *    for it (family: AF_INET or AF_INET6 when -4 or -6 was given last,
 *    else AF_UNSPEC), "src localhost:8080" -> "src 127.0.0.1:8080";
 *  - a service after sport/dport or after a host's ':' by its port (TCP's,
 *    else UDP's), "dport = :http" -> "dport = :80";
 *  - a device after dev by its index, "dev lo" -> "dev 1".
 * NULL when filter is NULL. A name that does not resolve is left for the
 * daemon to refuse. With from, the devices and the holders that proc,
 * user and unit may name are those of that picture (--from's file), not
 * this host's.
 */
char *names_expand(const char *filter, int family, const struct picture *from);

#endif
