/* SPDX-License-Identifier: ISC */
/* log.h - the daemon's one way to say things: stderr, or the journal. */
#ifndef SOCKWATCHD_LOG_H
#define SOCKWATCHD_LOG_H

enum log_level { LOG_L_ERR, LOG_L_WARN, LOG_L_NOTICE, LOG_L_INFO, LOG_L_DEBUG };

/* Sets the threshold; prefixes lines with <N> when stderr is the journal. */
void log_init(enum log_level level);

/* Parses "error", "warning", "notice", "info", "debug"; -1 if unknown. */
int log_level_parse(const char *name);

/* Logs at a level, printf style. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_L_ERR, __VA_ARGS__)
#define log_warnx(...) log_msg(LOG_L_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_L_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_L_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_L_DEBUG, __VA_ARGS__)

/* Logs an error and exits with status 1. */
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
