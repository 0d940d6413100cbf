/* SPDX-License-Identifier: ISC */
/*
 * fuzz.h - the fuzz targets' bodies. Each takes any bytes and aborts on
 * what must never happen; libFuzzer drives them (make fuzz), and make
 * check replays every input kept under tests/data/fuzz/NAME/ through them.
 */
#ifndef SOCKWATCH_FUZZ_H
#define SOCKWATCH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "jbuf.h"

/* The filter parser, and the records run through what it took. */
int fuzz_filter(const uint8_t *data, size_t size);

/* The request codec; what it took, encoded again, parses the same. */
int fuzz_proto(const uint8_t *data, size_t size);

/* A dump: parsed, grouped, encoded, and the JSON valid when read back. */
int fuzz_dump(const uint8_t *data, size_t size);

/*
 * Any bytes as a picture (a recording from anywhere): checked, and when
 * accepted, listed for a reader who sees all and for one who sees only
 * uid 0, through a filter, every record valid JSON.
 */
int fuzz_picture(const uint8_t *data, size_t size);

/* The same for a blob that must be accepted: 1 if it was, else 0. */
int fuzz_picture_list(const void *blob, size_t len);

/*
 * A file for sockwatchctl list --from: a recording or an ss -D dump,
 * refused with a reason, or read and listed as a picture.
 */
int fuzz_recording(const uint8_t *data, size_t size);

/*
 * One buffer from the kernel's destroy groups: parsed into close events,
 * each filtered and encoded for a reader who sees all and one who sees
 * only uid 0, logged in a small history and read back from it.
 */
int fuzz_destroy(const uint8_t *data, size_t size);

/* Each line of b is one JSON object, or abort. */
void fuzz_json_lines(const struct jbuf *b);

#endif
