/* SPDX-License-Identifier: ISC */
/*
 * sandbox.c - the server's seccomp filter. It holds the control socket,
 * the channel to the poller and mapped pictures: it reads, writes,
 * accepts, maps and polls, and nothing else. No open, no exec, no new
 * sockets, no signals to others; memory may never become executable.
 */
#include "sandbox.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"

static const int sandbox_calls[] = {
	/* clients and the poller */
	SCMP_SYS(accept4),
	SCMP_SYS(recvfrom),
	SCMP_SYS(recvmsg),
	SCMP_SYS(sendto),
	SCMP_SYS(sendmsg),
	SCMP_SYS(getsockopt),
	SCMP_SYS(shutdown),
	SCMP_SYS(close),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(writev),
	SCMP_SYS(fcntl),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(lseek),
	/* memory: malloc, pictures, giving memory back */
	SCMP_SYS(brk),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(madvise),
	/* time and self */
	SCMP_SYS(clock_gettime),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	SCMP_SYS(getuid),
	SCMP_SYS(geteuid),
	SCMP_SYS(getgid),
	SCMP_SYS(getegid),
	SCMP_SYS(futex),
	SCMP_SYS(getrandom),
	/* glibc's qsort asks how much memory the machine has, once */
	SCMP_SYS(sysinfo),
	/* signals it takes through its signalfd, and dying */
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),
	/* a poll stopped (SIGSTOP, a cgroup freezer) resumes through it */
	SCMP_SYS(restart_syscall),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
};

/* mmap and mprotect, but never with PROT_EXEC. */
static int sandbox_no_exec(scmp_filter_ctx ctx, int call)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, call, 1,
				SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
}

/* abort() may raise SIGABRT at itself, nobody else. */
static int sandbox_abort(scmp_filter_ctx ctx)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 0) ||
	       seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 0);
}

/* An old kernel, or an emulator such as valgrind: said, not hidden. */
static int sandbox_none(scmp_filter_ctx ctx)
{
	log_warnx("the kernel offers no seccomp filter: the server runs "
		  "without its system call allow-list");
	if (ctx)
		seccomp_release(ctx);
	return 0;
}

int sandbox_server(char *err, size_t errsz)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	size_t i;
	int rc = 0;

	if (!ctx || seccomp_api_get() < 1)
		return sandbox_none(ctx);
	for (i = 0; i < sizeof(sandbox_calls) / sizeof(sandbox_calls[0]) && !rc;
	     i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sandbox_calls[i], 0);
	if (!rc)
		rc = sandbox_no_exec(ctx, SCMP_SYS(mmap)) ||
		     sandbox_no_exec(ctx, SCMP_SYS(mprotect)) ||
		     sandbox_abort(ctx);
	if (!rc)
		rc = seccomp_load(ctx);
	if (rc == -ENOSYS)
		return sandbox_none(ctx);
	seccomp_release(ctx);
	if (rc) {
		snprintf(err, errsz, "cannot load the seccomp filter: %s",
			 strerror(rc < 0 ? -rc : EINVAL));
		return -1;
	}
	return 0;
}
