/* SPDX-License-Identifier: ISC */
/* util.c - records from text, child processes, raw clients. */
#include "util.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "net.h"

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int addr_parse(const char *text, uint8_t *family, uint8_t *addr, uint16_t *port)
{
	char host[64];
	const char *colon;

	memset(addr, 0, 16);
	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (!end || end[1] != ':' || end - text - 1 >= 64)
			return -1;
		memcpy(host, text + 1, (size_t)(end - text - 1));
		host[end - text - 1] = '\0';
		colon = end + 1;
		*family = AF_INET6;
	} else {
		colon = strrchr(text, ':');
		if (!colon || colon - text >= 64)
			return -1;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		*family = AF_INET;
	}
	*port = (uint16_t)atoi(colon + 1);
	return inet_pton(*family, host, addr) == 1 ? 0 : -1;
}

static uint8_t state_of(const char *word)
{
	unsigned s;

	if (strcmp(word, "unconnected") == 0)
		return REC_CLOSE;
	for (s = 1; s < REC_STATE_MAX; s++)
		if (strcmp(rec_state_word(s), word) == 0)
			return (uint8_t)s;
	ck_abort_msg("unknown state %s", word);
	return 0;
}

struct sock_rec rec_make(const char *proto, const char *state,
			 const char *local, const char *remote,
			 uint32_t ifindex)
{
	static uint64_t cookie = 1;
	struct sock_rec r;
	uint8_t fam2;

	memset(&r, 0, sizeof(r));
	r.proto = strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	r.state = state_of(state);
	ck_assert_int_eq(addr_parse(local, &r.family, r.laddr, &r.lport), 0);
	ck_assert_int_eq(addr_parse(remote, &fam2, r.raddr, &r.rport), 0);
	ck_assert_int_eq(fam2, r.family);
	r.ifindex = ifindex;
	r.cookie = cookie++;
	r.inode = (uint32_t)r.cookie + 1000;
	return r;
}

static char *slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	for (;;) {
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

int run_cmd(char *const argv[], char **out, char **err)
{
	int po[2], pe[2], status;
	pid_t pid;
	char *e;

	ck_assert_int_eq(pipe(po), 0);
	ck_assert_int_eq(pipe(pe), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		/* a daemon it starts (tmux's server) must not hold them */
		close(po[1]);
		close(pe[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* stderr is small; read stdout to the end first, then stderr. */
	*out = slurp(po[0]);
	e = slurp(pe[0]);
	close(po[0]);
	close(pe[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (err)
		*err = e;
	else
		free(e);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

char *tmpdir_make(void)
{
	char *dir = strdup("/tmp/sockwatch-test.XXXXXX");

	ck_assert_ptr_nonnull(dir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

int client_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int unix_bind(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void schema_run(const char *text, char *mode)
{
	char path[] = "/tmp/sockwatch-json.XXXXXX";
	int fd = mkstemp(path), rc;
	char *out, *err;
	char *argv[] = { "tests/schema-check", path, NULL, NULL };

	if (mode) {
		argv[1] = mode;
		argv[2] = path;
	}
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	rc = run_cmd(argv, &out, &err);
	unlink(path);
	ck_assert_msg(rc == 0, "the schema says: %s", err);
	free(out);
	free(err);
}

void schema_check(const char *doc)
{
	schema_run(doc, NULL);
}

void schema_check_lines(const char *records)
{
	schema_run(records, "--lines");
}

void client_send(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		ck_assert_int_gt(n, 0);
		s += n;
		len -= (size_t)n;
	}
}

/*
 * Peeks to find the newline, then reads just that far: the rest stays in
 * the socket for the next call, so no buffer has to live between calls.
 */
char *client_line(int fd, int ms)
{
	uint64_t deadline = now_ms() + (uint64_t)ms;
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1);

	ck_assert_ptr_nonnull(buf);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int left = (int)(deadline - now_ms());
		ssize_t n;
		char *nl;

		if (cap - len < 65536) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			ck_assert_ptr_nonnull(buf);
		}
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		n = recv(fd, buf + len, cap - len, MSG_PEEK);
		if (n <= 0)
			break;
		nl = memchr(buf + len, '\n', (size_t)n);
		if (nl)
			n = nl - (buf + len) + 1;
		ck_assert_int_eq(recv(fd, buf + len, (size_t)n, 0), n);
		len += (size_t)n;
		if (nl) {
			buf[len - 1] = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

/*
 * The kernel's own choice of local ports kept above the ones tests bind
 * by number (40000 and below): a client's ephemeral port once took
 * 40000 just before a test bound it.
 */
static void netns_ports(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "w");

	ck_assert_msg(f != NULL, "ip_local_port_range: %s", strerror(errno));
	fputs("50000 60999\n", f);
	ck_assert_int_eq(fclose(f), 0);
}

void netns_fresh(void)
{
	char *out;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s",
		      strerror(errno));
	ck_assert_int_eq(
		run_cmd((char *[]){ "ip", "link", "set", "lo", "up", NULL },
			&out, NULL),
		0);
	free(out);
	netns_ports();
}

void child_dies_with_parent(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/*
 * uid and gid 65534 and no supplementary groups (root's would let it see
 * what a member of the socket's group sees); the death signal is set
 * after, as a change of uid clears it.
 */
static int become_nobody(void)
{
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return -1;
	child_dies_with_parent();
	return 0;
}

static int has_arg(char *const argv[], const char *name)
{
	size_t i;

	for (i = 0; argv && argv[i]; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

/* The test binary runs from the top of the tree. */
static void daemon_exec(const char *sock, char *const extra[])
{
	char *argv[32];
	char *wrapper = getenv("SOCKWATCH_DAEMON_WRAPPER");
	int n = 0, i;

	/* A failed test must not leave its daemon behind. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* A wrapper (valgrind) is split on spaces: it has no quoting. */
	if (wrapper && *wrapper)
		for (char *t = strtok(strdup(wrapper), " "); t && n < 16;
		     t = strtok(NULL, " "))
			argv[n++] = t;
	argv[n++] = BUILD_DIR "/sockwatchd";
	argv[n++] = "--socket";
	argv[n++] = (char *)sock;
	/*
	 * A fresh listing must see the socket a test has just made, not a
	 * picture a few ms old: unless a test says otherwise, no min age.
	 */
	if (!has_arg(extra, "--fresh-min-age")) {
		argv[n++] = "--fresh-min-age";
		argv[n++] = "0";
	}
	for (i = 0; extra && extra[i] && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	execvp(argv[0], argv);
	_exit(127);
}

pid_t daemon_start(const char *sock, char *const extra[])
{
	uint64_t deadline = now_ms() + 20000;
	pid_t pid = fork();
	int fd;

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		daemon_exec(sock, extra);
	while (now_ms() < deadline) {
		fd = client_connect(sock);
		if (fd >= 0) {
			close(fd);
			return pid;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			ck_abort_msg("sockwatchd exited at start");
		usleep(20000);
	}
	kill(pid, SIGKILL);
	ck_abort_msg("sockwatchd did not start serving %s", sock);
	return -1;
}

int daemon_stop(pid_t pid)
{
	uint64_t deadline = now_ms() + 20000;
	int status;

	kill(pid, SIGTERM);
	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ck_abort_msg("sockwatchd ignored SIGTERM");
		}
		usleep(10000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int ctl_run(const char *sock, char *const args[], char **out, char **err)
{
	char *argv[16];
	int n = 0, i;

	argv[n++] = BUILD_DIR "/sockwatchctl";
	argv[n++] = "--socket";
	argv[n++] = (char *)sock;
	for (i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return run_cmd(argv, out, err);
}

json_t *json_doc(const char *text)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);

	ck_assert_msg(doc != NULL, "not JSON (%s): %.300s", jerr.text, text);
	return doc;
}

long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

pid_t listener_child(const char *ep, const char *comm, int as_nobody)
{
	int pfd[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		child_dies_with_parent();
		if (as_nobody && become_nobody() < 0)
			_exit(1);
		if (comm)
			prctl(PR_SET_NAME, comm);
		if (ep)
			net_listen(ep, 1, 0, NULL);
		(void)!write(pfd[1], "r", 1);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	close(pfd[1]);
	return pid;
}

int can_switch_uid(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 0;
	if (pid == 0)
		_exit(become_nobody() == 0 ? 0 : 1);
	if (waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

pid_t fork_as_nobody(void)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0 && become_nobody() < 0)
		_exit(1);
	return pid;
}

int client_connect_as_nobody(const char *sock)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	int sp[2], fd, st;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	pid = fork_as_nobody();
	if (pid == 0) {
		fd = client_connect(sock);
		_exit(fd >= 0 && fdpass_send(sp[1], "c", 1, fd, 0) == 1 ? 0
									: 1);
	}
	close(sp[1]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "uid 65534 could not connect to %s", sock);
	ck_assert_int_eq(recvmsg(sp[0], &mh, MSG_CMSG_CLOEXEC), 1);
	fd = fdpass_take(&mh);
	close(sp[0]);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* The status record; retried while the daemon is too busy to take us. */
json_t *status_of(const char *sock)
{
	uint64_t deadline = now_ms() + 10000;
	json_t *o = NULL;
	char *line;
	int fd;

	do {
		static const char req[] = "{\"v\":1,\"cmd\":\"status\"}\n";

		json_decref(o);
		o = NULL;
		fd = client_connect(sock);
		ck_assert_int_ge(fd, 0);
		/* a daemon at its limit may say so and close before reading:
		 * the send fails, and its answer is still there to read */
		(void)!send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL);
		line = client_line(fd, 10000);
		close(fd);
		if (line) {
			o = json_doc(line);
			free(line);
			if (strcmp(json_string_value(
					   json_object_get(o, "type")),
				   "status") == 0)
				return o;
		}
		usleep(50000);
	} while (now_ms() < deadline);
	json_decref(o);
	ck_abort_msg("no status record");
	return NULL;
}

json_int_t status_num(const char *sock, const char *key)
{
	json_t *o = status_of(sock);
	json_int_t v = json_integer_value(json_object_get(o, key));

	json_decref(o);
	return v;
}
