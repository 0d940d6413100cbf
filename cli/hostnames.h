/* SPDX-License-Identifier: ISC */
/* hostnames.h - host names in a filter, turned into addresses. */
#ifndef SOCKWATCHCTL_HOSTNAMES_H
#define SOCKWATCHCTL_HOSTNAMES_H

/*
 * Returns filter with each "src NAME[:PORT]" / "dst NAME[:PORT]" (also
 * with "=") replaced by "src ADDR[:PORT]", ADDR being the one address
 * the ss of this host matches for NAME: family is AF_INET or AF_INET6
 * when -4 or -6 was given last, else AF_UNSPEC. NULL when filter is
 * NULL. The daemon takes numeric addresses only: it never waits for a
 * resolver. A name that does not resolve is left for the daemon to
 * refuse.
 */
char *hostnames_expand(const char *filter, int family);

#endif
