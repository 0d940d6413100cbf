/* hostnames.h - host names in a filter, turned into addresses. */
#ifndef SOCKWATCHCTL_HOSTNAMES_H
#define SOCKWATCHCTL_HOSTNAMES_H

/*
 * Returns filter with each "src NAME[:PORT]" / "dst NAME[:PORT]" (also
 * with "=") replaced by "( src ADDR[:PORT] or ... )" over every address
 * of NAME, as ss resolves them; NULL when filter is NULL. The daemon
 * takes numeric addresses only: it never waits for a resolver. A name
 * that does not resolve is left for the daemon to refuse.
 */
char *hostnames_expand(const char *filter);

#endif
