/* SPDX-License-Identifier: ISC */
/*
 * offline.c - the daemon's list command, answered in this process from
 * a file: the request is checked as the daemon checks it (lib/proto),
 * the filter parsed as it parses it, and the records written by the
 * same query (lib/query), so that everything after conn_line is the
 * same whether the answer came over the socket or from a file.
 */
#include "offline.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "filter.h"
#include "grow.h"
#include "jbuf.h"
#include "proto.h"
#include "query.h"
#include "recording.h"
#include "records.h"
#include "render.h"

struct offline {
	struct recording rec;
	struct encode_source src;
	struct filter *filter;
	struct query *q;
	struct jbuf out; /* what the reader has not taken yet */
	size_t out_off;
};

/* More than a recording of any host takes: some forty million sockets. */
#define OFFLINE_MAX_BYTES ((size_t)4 << 30)

static void offline_too_big(const char *name)
{
	errx(EXIT_DAEMON_ERROR,
	     "%s: more than %zu GiB, which no recording or ss -D dump of a "
	     "host takes",
	     name, OFFLINE_MAX_BYTES >> 30);
}

/*
 * The whole of fd, in memory malloc aligns (a picture wants 8 bytes);
 * size is what fstat said, so that a file of a million sockets is read
 * into one buffer of its size, and a pipe's is bounded as it comes.
 */
static void *offline_slurp(int fd, const char *name, size_t size, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;

	for (;;) {
		ssize_t got;

		if (n > OFFLINE_MAX_BYTES)
			offline_too_big(name);
		if (grow(&buf, &cap, n, 1, size + 1 > 65536 ? size + 1 : 65536))
			errx(EXIT_DAEMON_ERROR, "%s: out of memory", name);
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			err(EXIT_DAEMON_ERROR, "reading %s", name);
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*len = n;
	return buf;
}

/*
 * Opens path, refusing what no read can make sense of; fills its time
 * (a pipe's is now: the dump is being taken) and size (0 for a pipe).
 */
static int offline_file(const char *path, const char *name,
			struct timespec *mtime, size_t *size)
{
	struct stat st;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC)
				   : STDIN_FILENO;

	if (fd < 0)
		err(EXIT_DAEMON_ERROR, "%s", name);
	if (fstat(fd, &st) < 0)
		err(EXIT_DAEMON_ERROR, "%s", name);
	if (S_ISDIR(st.st_mode))
		errx(EXIT_DAEMON_ERROR,
		     "%s is a directory, not a recording or ss -D dump", name);
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > OFFLINE_MAX_BYTES)
		offline_too_big(name);
	*mtime = st.st_mtim;
	*size = S_ISREG(st.st_mode) ? (size_t)st.st_size : 0;
	if (!S_ISREG(st.st_mode))
		clock_gettime(CLOCK_REALTIME, mtime);
	return fd;
}

static struct offline *offline_load(const char *path)
{
	const char *name = render_safe(path);
	struct offline *o = calloc(1, sizeof(*o));
	struct timespec taken;
	char why[200];
	size_t size, len;
	void *data;
	int fd;

	if (!o)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	fd = offline_file(path, name, &taken, &size);
	data = offline_slurp(fd, name, size, &len);
	if (fd != STDIN_FILENO)
		close(fd);
	if (recording_read(&o->rec, data, len, &taken, why, sizeof(why)) < 0)
		errx(EXIT_DAEMON_ERROR, "%s: %s", name, why);
	o->src.file = path;
	o->src.ss_dump = o->rec.format == RECORDING_SS_DUMP;
	return o;
}

/* The header's age is the file's: from when it was taken until now. */
static uint64_t offline_now_mono_ms(const struct picture *p)
{
	struct timespec now;
	int64_t taken_ms, now_ms;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	taken_ms = p->h->taken_sec * 1000 + p->h->taken_nsec / 1000000;
	return p->h->taken_mono_ms +
	       (uint64_t)(now_ms > taken_ms ? now_ms - taken_ms : 0);
}

/* A list request, as the daemon would take it; anything else refused. */
static void offline_request(void *ctx, const char *line, size_t len)
{
	struct offline *o = ctx;
	struct proto_request req;
	struct filter_error ferr;
	struct query_opts qo = { .all = 1, .source = &o->src };
	char msg[256];
	enum proto_code code = proto_parse(line, len, &req, msg, sizeof(msg));

	if (code == PROTO_OK && req.cmd != PROTO_CMD_LIST) {
		code = PROTO_BAD_REQUEST;
		snprintf(msg, sizeof(msg), "a file answers list, not %s",
			 proto_command(req.cmd)->name);
	}
	if (code != PROTO_OK) {
		proto_error(&o->out, code, msg);
		return;
	}
	o->filter = req.filter ? filter_parse(req.filter, &ferr) : NULL;
	if (req.filter && !o->filter) {
		proto_filter_error(&o->out, &ferr);
		proto_request_clear(&req);
		return;
	}
	qo.filter = o->filter;
	qo.view = req.view;
	qo.now_mono_ms = offline_now_mono_ms(&o->rec.pic);
	o->q = query_new(&o->rec.pic, &qo);
	if (!o->q)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	proto_request_clear(&req);
}

/* Steps the query until room bytes of the answer wait, or its end. */
static void offline_produce(struct offline *o, size_t room)
{
	int ret = 1;

	jbuf_reset(&o->out);
	o->out_off = 0;
	while (o->q && o->out.len < room &&
	       (ret = query_step(o->q, &o->out, room)) > 0)
		;
	if (ret < 0 || o->out.oom)
		errx(EXIT_DAEMON_ERROR, "out of memory");
	if (ret == 0) {
		query_free(o->q);
		o->q = NULL;
	}
}

/* The next bytes of the answer; 0 once it has all been read. */
static size_t offline_read(void *ctx, char *dst, size_t room)
{
	struct offline *o = ctx;
	size_t n;

	if (o->out_off == o->out.len)
		offline_produce(o, room);
	n = o->out.len - o->out_off < room ? o->out.len - o->out_off : room;
	memcpy(dst, o->out.p + o->out_off, n);
	o->out_off += n;
	return n;
}

static void offline_close(void *ctx)
{
	struct offline *o = ctx;

	query_free(o->q);
	filter_free(o->filter);
	jbuf_free(&o->out);
	recording_free(&o->rec);
	free(o);
}

void offline_open(struct conn *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->passed_fd = -1;
	c->path = path;
	c->src.ctx = offline_load(path);
	c->src.request = offline_request;
	c->src.read = offline_read;
	c->src.close = offline_close;
	rd_answered_by(path);
}

const struct picture *offline_picture(const struct conn *c)
{
	const struct offline *o = c->src.ctx;

	return o ? &o->rec.pic : NULL;
}
