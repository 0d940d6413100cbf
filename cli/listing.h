/* listing.h - turning a streamed listing into a document or a table. */
#ifndef SOCKWATCHCTL_LISTING_H
#define SOCKWATCHCTL_LISTING_H

#include <jansson.h>
#include <stdio.h>

#include "conn.h"

/*
 * Parses a reply line into a record of type want; exits 1 with the
 * daemon's message on an error record, or on anything unexpected.
 */
json_t *listing_record(const char *line, size_t len, const char *want);

/*
 * Reads one listing (header, groups, end) from c and writes it to out as
 * the single sockwatch/1 JSON document. Returns 0, or the exit status.
 */
int listing_json(struct conn *c, FILE *out);

/* Reads one listing from c and writes the grouped table to out. */
int listing_table(struct conn *c, FILE *out);

#endif
