/* SPDX-License-Identifier: ISC */
/* filter.c - fuzz target: the filter parser and what it matches. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "filter.h"
#include "fuzz.h"

int fuzz_filter(const uint8_t *data, size_t size)
{
	struct sock_rec r[3] = { 0 };
	struct filter_error err;
	struct filter *f;
	char *text = malloc(size + 1);
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* the protocol hands the parser a C string */
	f = filter_parse(text, &err);
	r[0].family = AF_INET;
	r[0].state = REC_LISTEN;
	r[1].family = AF_INET6;
	r[1].state = REC_ESTABLISHED;
	r[1].raddr[10] = r[1].raddr[11] = 0xff;
	r[2].family = AF_INET;
	r[2].state = REC_TIME_WAIT;
	r[2].ifindex = 1;
	for (i = 0; f && i < 3; i++)
		(void)filter_match(f, &r[i], i, NULL);
	filter_free(f);
	free(text);
	return 0;
}
