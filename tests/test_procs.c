/* SPDX-License-Identifier: ISC */
/* test_procs.c - the owner map: cgroup names, a made-up /proc, real ones. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "procs.h"
#include "tests.h"
#include "util.h"

START_TEST(cgroup_units_and_containers)
{
	static const char *const cases[][3] = {
		{ "0::/system.slice/nginx.service\n", "nginx.service", "" },
		{ "0::/user.slice/user-1000.slice/session-2.scope\n",
		  "session-2.scope", "" },
		{ "12:pids:/\n1:name=systemd:/system.slice/ssh.service\n0::/\n",
		  "ssh.service", "" },
		{ "0::/system.slice/docker-0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdef.scope\n",
		  "docker-0123456789abcdef0123456789abcdef0123456789abcdef"
		  "0123456789abcdef.scope",
		  "0123456789ab" },
		{ "0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaa.scope\n",
		  "cri-containerd-"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaa.scope",
		  "aaaaaaaaaaaa" },
		{ "0::/lxc/web1/init.scope\n", "init.scope", "web1" },
		{ "0::/lxc.payload.db/system.slice/x.service\n", "x.service",
		  "db" },
		{ "0::/\n", "", "" },
		{ "", "", "" },
	};
	char unit[256], cont[80];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		procs_parse_cgroup(cases[i][0], unit, sizeof(unit), cont,
				   sizeof(cont));
		ck_assert_msg(!strcmp(unit, cases[i][1]), "%s: unit %s",
			      cases[i][0], unit);
		ck_assert_msg(!strcmp(cont, cases[i][2]), "%s: container %s",
			      cases[i][0], cont);
	}
}
END_TEST

/* A made-up /proc: a directory a process, with stat, cgroup and fd/. */
static char *root;

static void fake_setup(void)
{
	root = tmpdir_make();
}

static void fake_teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
	free(root);
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

static void fake_proc(int pid, const char *comm, unsigned long long start,
		      const char *cgroup)
{
	char path[256], text[512];

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%d/fd", root, pid);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
	/* fields 3..21 then the start time, as the kernel writes them */
	snprintf(text, sizeof(text),
		 "%d (%s) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0 0\n",
		 pid, comm, start);
	put_file(path, text);
	snprintf(path, sizeof(path), "%s/%d/cgroup", root, pid);
	put_file(path, cgroup);
}

static void fake_fd(int pid, int fd, unsigned inode)
{
	char path[256], target[64];

	snprintf(path, sizeof(path), "%s/%d/fd/%d", root, pid, fd);
	snprintf(target, sizeof(target), "socket:[%u]", inode);
	ck_assert_int_eq(symlink(target, path), 0);
}

static void fake_exit(int pid)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%d'", root, pid);
	ck_assert_int_eq(system(cmd), 0);
}

/* A dump of sockets with these inodes. */
static struct sock_rec recs[8];
static size_t nrecs;

static void dump_of(const unsigned *inodes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		recs[i] =
			rec_make("tcp", "listen", "0.0.0.0:80", "0.0.0.0:0", 0);
		recs[i].inode = inodes[i];
	}
	nrecs = n;
}

static const char *owner_comm(struct procs *p, unsigned inode)
{
	static struct procs_view v[4];

	return procs_owners(p, inode, v, 4) ? v[0].comm : NULL;
}

START_TEST(owners_found_and_named)
{
	struct procs *p;
	struct procs_view v[4];
	/* inodes that differ in every byte, for the index's sort */
	static const unsigned ino[] = { 1001, 1002, 0x12345678, 0x00ff0003 };

	fake_proc(100, "nginx", 5000, "0::/system.slice/nginx.service\n");
	fake_proc(1, "systemd", 10, "0::/init.scope\n");
	fake_fd(100, 3, 1001);
	fake_fd(1, 40, 1001); /* socket activation: pid 1 holds it too */
	fake_fd(1, 41, 1002);
	fake_fd(100, 4, 1001); /* one process, one socket on two fds */
	fake_fd(100, 5, 0x12345678);
	fake_fd(1, 42, 0x00ff0003);
	dump_of(ino, 4);
	p = procs_open(root);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(procs_update(p, recs, nrecs), 0);
	ck_assert_uint_eq(procs_owners(p, 1001, v, 4), 2);
	ck_assert_int_eq(v[0].pid, 100); /* the service before pid 1 */
	ck_assert_str_eq(v[0].comm, "nginx");
	ck_assert_str_eq(v[0].unit, "nginx.service");
	ck_assert_ptr_null(v[0].container);
	ck_assert_str_eq(v[0].user, "root");
	ck_assert_int_eq(v[1].pid, 1);
	ck_assert_uint_eq(procs_owners(p, 1002, v, 4), 1);
	ck_assert_uint_eq(procs_owners(p, 0x12345678, v, 4), 1);
	ck_assert_int_eq(v[0].pid, 100);
	ck_assert_uint_eq(procs_owners(p, 0x00ff0003, v, 4), 1);
	ck_assert_int_eq(v[0].pid, 1);
	ck_assert_uint_eq(procs_owners(p, 999, v, 4), 0);
	ck_assert_uint_eq(procs_owners(p, 0x12345679, v, 4), 0);
	/* the index goes once answered, and the next update makes it again */
	procs_answered(p);
	ck_assert_uint_eq(procs_owners(p, 1001, v, 4), 0);
	ck_assert_int_eq(procs_update(p, recs, nrecs), 0);
	ck_assert_uint_eq(procs_owners(p, 1001, v, 4), 2);
	procs_close(p);
}
END_TEST

/*
 * Transient units and containers by the thousand: 20 rounds of 40
 * processes, each in a scope and a container of its own, each round's
 * gone by the next. Their names live as long as their processes, so the
 * map holds no more names at the end than the last round's (it used to
 * keep every one, and search them one by one).
 */
START_TEST(names_die_with_their_processes)
{
	static const char cg[] =
		"0::/system.slice/docker-%012x%052d.scope/run-u%d.scope\n";
	struct procs *p = procs_open(root);
	struct procs_stats st;
	char text[256];
	int round, i;

	ck_assert_ptr_nonnull(p);
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 40; i++) {
			int pid = 10000 + round * 100 + i;

			snprintf(text, sizeof(text), cg, pid, 0, pid);
			fake_proc(pid, "job", 100 + (unsigned)pid, text);
		}
		ck_assert_int_eq(procs_update(p, recs, 0), 0);
		procs_stats(p, &st);
		/* 40 scopes, 40 containers, and the user of them all */
		ck_assert_uint_eq(st.names, 81);
		/* the round exits, in one rm rather than 40 */
		snprintf(text, sizeof(text), "rm -rf '%s'/%d??", root,
			 100 + round);
		ck_assert_int_eq(system(text), 0);
	}
	ck_assert_int_eq(procs_update(p, recs, 0), 0);
	procs_stats(p, &st);
	ck_assert_uint_eq(st.procs, 0);
	ck_assert_uint_eq(st.names, 0);
	procs_close(p);
}
END_TEST

START_TEST(changes_between_polls)
{
	static const unsigned ino[] = { 2001, 2002, 2003 };
	struct procs_stats st;
	struct procs *p = procs_open(root);

	fake_proc(200, "server", 100, "0::/\n");
	fake_proc(201, "worker", 101, "0::/\n");
	fake_fd(200, 3, 2001);
	fake_fd(201, 3, 2002);
	dump_of(ino, 2);
	ck_assert_int_eq(procs_update(p, recs, nrecs), 0);
	ck_assert_str_eq(owner_comm(p, 2002), "worker");
	/* a new socket: found in whoever holds it */
	fake_fd(200, 4, 2003);
	dump_of(ino, 3);
	ck_assert_int_eq(procs_update(p, recs, nrecs), 0);
	ck_assert_str_eq(owner_comm(p, 2003), "server");
	/* the worker exits; its pid comes back as another program */
	fake_exit(201);
	ck_assert_int_eq(procs_update(p, recs, nrecs), 0);
	ck_assert_ptr_null(owner_comm(p, 2002));
	fake_proc(201, "intruder", 999, "0::/\n");
	fake_fd(201, 5, 2002);
	ck_assert_int_eq(procs_update(p, recs, nrecs), 0);
	ck_assert_str_eq(owner_comm(p, 2002), "intruder");
	/* the server execs: same pid and start time, another name */
	fake_exit(200);
	fake_proc(200, "server-v2", 100, "0::/\n");
	fake_fd(200, 3, 2001);
	fake_fd(200, 4, 2003);
	ck_assert_int_eq(procs_update(p, recs, nrecs), 0);
	ck_assert_str_eq(owner_comm(p, 2001), "server-v2");
	procs_stats(p, &st);
	ck_assert_uint_eq(st.procs, 2);
	ck_assert_uint_eq(st.unresolved, 0);
	procs_close(p);
}
END_TEST

START_TEST(warm_polls_read_little)
{
	static const unsigned ino[] = { 3001, 3999 };
	struct procs_stats st;
	struct procs *p = procs_open(root);
	int pid;

	for (pid = 300; pid < 400; pid++)
		fake_proc(pid, "idle", (unsigned long long)pid, "0::/\n");
	fake_fd(300, 3, 3001);
	dump_of(ino, 2); /* 3999: a socket no process here holds */
	ck_assert_int_eq(procs_update(p, recs, nrecs), 0);
	procs_stats(p, &st);
	ck_assert_uint_eq(st.procs, 100);
	ck_assert_uint_eq(st.unresolved, 1);
	ck_assert_int_eq(procs_update(p, recs, nrecs), 0);
	procs_stats(p, &st);
	/* no sweep for a socket given up on; only the slow refresh */
	ck_assert_uint_le(st.scanned, 100 / 64 + 1);
	ck_assert_str_eq(owner_comm(p, 3001), "idle");
	procs_close(p);
}
END_TEST

/*
 * A process of 3,000 fds that opens a new socket every poll is read again
 * on average for no more than 1,024 links a poll, and its new sockets are
 * still found; an update never reads much past its cap, and what it
 * could not read yet is not given up on.
 */
START_TEST(attribution_work_is_bounded)
{
	unsigned ino[2] = { 1, 0 };
	struct procs_stats st;
	struct procs *p = procs_open(root);
	uint64_t links = 0;
	int fd, round, found = 0;

	fake_proc(300, "hog", 300, "0::/\n");
	for (fd = 3; fd < 3003; fd++)
		fake_fd(300, fd, 10000 + (unsigned)fd);
	dump_of(ino, 1);
	ck_assert_int_eq(procs_update(p, recs, nrecs), 0);
	procs_stats(p, &st);
	ck_assert_uint_ge(st.links, 3000);
	for (round = 0; round < 30; round++) {
		/* a socket nobody is known to hold: the sweep looks for it */
		ino[1] = 50000 + (unsigned)round;
		fake_fd(300, 5000 + round, ino[1]);
		dump_of(ino, 2);
		ck_assert_int_eq(procs_update(p, recs, nrecs), 0);
		procs_stats(p, &st);
		links += st.links;
		found += owner_comm(p, ino[1]) != NULL;
	}
	/* every poll would be 90,000 links; a re-read each third, 30,000 */
	ck_assert_uint_le(links, 36000);
	ck_assert_int_ge(found, 9);
	/* the last one is found within three more polls */
	for (round = 0; round < 3 && !owner_comm(p, ino[1]); round++)
		ck_assert_int_eq(procs_update(p, recs, nrecs), 0);
	ck_assert_str_eq(owner_comm(p, ino[1]), "hog");
	procs_close(p);

	/* a cap of 500 links: three new processes of 400 take three polls */
	p = procs_open(root);
	procs_set_max_links(p, 500);
	fake_proc(301, "a", 301, "0::/\n");
	fake_proc(302, "b", 302, "0::/\n");
	for (fd = 3; fd < 403; fd++) {
		fake_fd(301, fd, 20000 + (unsigned)fd);
		fake_fd(302, fd, 30000 + (unsigned)fd);
	}
	ino[0] = 30005;
	dump_of(ino, 1);
	for (round = 0; round < 4 && !owner_comm(p, 30005); round++) {
		ck_assert_int_eq(procs_update(p, recs, nrecs), 0);
		procs_stats(p, &st);
		ck_assert_uint_le(st.links, 500 + 3010);
	}
	ck_assert_str_eq(owner_comm(p, 30005), "b");
	procs_close(p);
}
END_TEST

/* Real processes: a forked holder, an exec, an exit. */
START_TEST(real_processes_hold_real_sockets)
{
	int l = net_listen("127.0.0.1:0", 1, 0, NULL);
	struct sock_rec r =
		rec_make("tcp", "listen", "0.0.0.0:1", "0.0.0.0:0", 0);
	struct procs *p = procs_open("/proc");
	struct procs_view v[4];
	struct stat st;
	pid_t child;

	ck_assert_int_eq(fstat(l, &st), 0);
	r.inode = (uint32_t)st.st_ino;
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		child_dies_with_parent();
		dup2(l, 7);
		execlp("sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	usleep(200000);
	ck_assert_int_eq(procs_update(p, &r, 1), 0);
	ck_assert_uint_eq(procs_owners(p, r.inode, v, 4), 2);
	ck_assert_int_eq(v[0].pid, getpid() < child ? getpid() : child);
	ck_assert(!strcmp(v[0].comm, "sleep") || !strcmp(v[1].comm, "sleep"));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ck_assert_int_eq(procs_update(p, &r, 1), 0);
	ck_assert_uint_eq(procs_owners(p, r.inode, v, 4), 1);
	ck_assert_int_eq(v[0].pid, getpid());
	procs_close(p);
	close(l);
}
END_TEST

/* Processes coming and going (some exec'ing) while the map is updated. */
static void churn(void)
{
	int i;

	for (i = 0; i < 300; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			usleep((useconds_t)(i % 7) * 300);
			if (i % 3 == 0)
				execlp("true", "true", (char *)NULL);
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	_exit(0);
}

START_TEST(churn_never_names_a_wrong_owner)
{
	int l = net_listen("127.0.0.1:0", 1, 0, NULL);
	struct sock_rec r =
		rec_make("tcp", "listen", "0.0.0.0:1", "0.0.0.0:0", 0);
	struct procs *p = procs_open("/proc");
	struct procs_view v[64];
	struct stat st;
	size_t n, i, k;
	pid_t child;

	ck_assert_int_eq(fstat(l, &st), 0);
	r.inode = (uint32_t)st.st_ino;
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0)
		churn();
	for (i = 0; i < 60; i++) {
		int me = 0;

		ck_assert_int_eq(procs_update(p, &r, 1), 0);
		n = procs_owners(p, r.inode, v, 64);
		for (k = 0; k < n; k++) {
			me |= v[k].pid == getpid();
			/* forked copies of us, or "true" after an exec */
			ck_assert_msg(!strcmp(v[k].comm, "sockwatch-tests") ||
					      !strcmp(v[k].comm, "true"),
				      "owner %d named %s", v[k].pid, v[k].comm);
		}
		ck_assert(me);
		usleep(2000);
	}
	waitpid(child, NULL, 0);
	ck_assert_int_eq(procs_update(p, &r, 1), 0);
	ck_assert_uint_eq(procs_owners(p, r.inode, v, 64), 1);
	ck_assert_int_eq(v[0].pid, getpid());
	procs_close(p);
	close(l);
}
END_TEST

Suite *procs_suite(void)
{
	Suite *s = suite_create("procs");
	TCase *tc = tcase_create("cgroup");
	TCase *fake = tcase_create("made-up proc");
	TCase *real = tcase_create("real proc");

	tcase_add_test(tc, cgroup_units_and_containers);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(fake, fake_setup, fake_teardown);
	tcase_add_test(fake, owners_found_and_named);
	tcase_add_test(fake, changes_between_polls);
	tcase_add_test(fake, names_die_with_their_processes);
	tcase_add_test(fake, warm_polls_read_little);
	tcase_add_test(fake, attribution_work_is_bounded);
	/* thousands of small files: slow on a loaded builder's disk */
	tcase_set_timeout(fake, 30);
	suite_add_tcase(s, fake);
	tcase_add_test(real, real_processes_hold_real_sockets);
	tcase_add_test(real, churn_never_names_a_wrong_owner);
	tcase_set_timeout(real, 60);
	suite_add_tcase(s, real);
	return s;
}
