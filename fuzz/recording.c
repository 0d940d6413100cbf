/* SPDX-License-Identifier: ISC */
/*
 * recording.c - fuzz target: any bytes as the file of sockwatchctl list
 * --from, a recording or an ss -D dump. recording_read() must refuse
 * what is neither, truncated or corrupt, and whatever it accepts must
 * list as a picture does.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "recording.h"

int fuzz_recording(const uint8_t *data, size_t size)
{
	const struct timespec taken = { 1764547200, 0 };
	struct recording r;
	char why[200];
	/* the reader takes memory malloc aligns, as a file is read into */
	void *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (recording_read(&r, copy, size, &taken, why, sizeof(why)) < 0) {
		if (!why[0])
			abort(); /* refused without saying why */
		return 0;
	}
	if (!fuzz_picture_list(r.blob, r.len))
		abort(); /* accepted, but not a picture */
	recording_free(&r);
	return 0;
}
