/* SPDX-License-Identifier: ISC */
/* log.c - leveled logging to stderr, journal-aware. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum log_level log_threshold = LOG_L_INFO;
static int log_journal; /* stderr goes to journald: use <N> prefixes */

static const char *const level_names[] = { "error", "warning", "notice", "info",
					   "debug" };
/* syslog priorities of each level, for journald's <N> prefix */
static const int level_prio[] = { 3, 4, 5, 6, 7 };

void log_init(enum log_level level)
{
	log_threshold = level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

int log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[1024];

	if (level > log_threshold)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", level_prio[level], line);
	else
		fprintf(stderr, "sockwatchd: %s%s\n",
			level <= LOG_L_WARN
				? (level == LOG_L_ERR ? "error: " : "warning: ")
				: "",
			line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_L_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
