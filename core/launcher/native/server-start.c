/*
 * Starting a server (server-start.h): the vfork fast path, the fork path, and child_exec, the
 * child's set-up before execve() in xinetd's order. Everything a child runs between clone()
 * and execve() is in this file, because the vfork child shares our memory and may only make
 * system calls (see "the vfork fast path" below).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include "alloc.h"
#include "children.h"
#include "fd-flags.h"
#include "plan.h"
#include "server-start.h"
#include "watched.h"

const char *const stage_names[] = {"", "execve", "setgid", "setgroups", "setuid", "dup2", "getpwuid"};

/* Signals whose disposition is not SIG_DFL in the launcher (found once at start): the only
 * ones a child has to reset, since execve() resets caught signals itself. */
static int nondefault_sigs[NSIG];
static int n_nondefault_sigs;

void find_nondefault_signals(void) {
  n_nondefault_sigs = 0;
  for (int s = 1; s < NSIG; s++) {
    struct sigaction sa;
    if (s == SIGKILL || s == SIGSTOP || sigaction(s, NULL, &sa) < 0) continue;
    if (sa.sa_handler != SIG_DFL) nondefault_sigs[n_nondefault_sigs++] = s;
  }
}

static void reset_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < n_nondefault_sigs; i++) sigaction(nondefault_sigs[i], &sa, NULL);
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
}

static void close_above(int lowest) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, (unsigned)lowest, ~0U, 0) == 0) return;
#endif
  DIR *d = opendir("/proc/self/fd");
  if (d) {
    int dfd = dirfd(d);
    int fds[1024];
    int n;
    /* collect first, then close, so readdir is not disturbed */
    do {
      n = 0;
      struct dirent *e;
      rewinddir(d);
      while ((e = readdir(d)) && n < 1024) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        if (fd >= lowest && fd != dfd) fds[n++] = fd;
      }
      for (int i = 0; i < n; i++) close(fds[i]);
    } while (n == 1024);
    closedir(d);
    return;
  }
  struct rlimit rl;
  long max = (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) ? (long)rl.rlim_cur : 65536;
  for (long fd = lowest; fd < max; fd++) close((int)fd);
}

/* Where a vfork'ed child reports a failure: it shares our memory until it execs or exits. */
static volatile report vfork_report;

/* rfd < 0: a vfork'ed child, which reports through vfork_report instead of a pipe. */
static void child_fail(int rfd, int stage, int err, int status) {
  report r = {stage, err};
  if (rfd < 0) {
    vfork_report.stage = stage;
    vfork_report.err = err;
    _exit(status);
  }
  ssize_t n;
  do n = write(rfd, &r, sizeof r);
  while (n < 0 && errno == EINTR);
  _exit(status);
}

/* As xinetd: a connection from an IPv4 client on a dual-stack socket becomes an AF_INET socket
 * (IPV6_ADDRFORM), so the server's getpeername()/getsockname() show a.b.c.d, not ::ffff:a.b.c.d.
 * Sockets without a peer (wait = yes: listening, unconnected UDP) are left alone. On failure (the
 * client is already gone) the server sees the mapped form. */
static void ipv4_form(int fd) {
  struct sockaddr_storage peer;
  socklen_t len = sizeof peer;
  if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0 || peer.ss_family != AF_INET6) return;
  if (!IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&peer)->sin6_addr)) return;
  int af = AF_INET;
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADDRFORM, &af, sizeof af) < 0) { /* ignored */ }
}

static int launcher_start_policy = -1;

void note_start_policy(void) {
  launcher_start_policy = sched_getscheduler(0);
}

/* The daemon switches this process between SCHED_OTHER and SCHED_BATCH with its queue of starts
 * (core/launcher/launcher-scheduling.ts); a server gets the policy this process started with. */
static void restore_start_policy(void) {
  if (launcher_start_policy != SCHED_OTHER && launcher_start_policy != SCHED_BATCH) return;
  int now = sched_getscheduler(0);
  if (now == launcher_start_policy || (now != SCHED_OTHER && now != SCHED_BATCH)) return;
  struct sched_param param = {0};
  if (sched_setscheduler(0, launcher_start_policy, &param) < 0) { /* ignored: the server runs as it is */ }
}

/* In the child: set up and exec; never returns. rfd is the report pipe (fork) or -1 (vfork). */
static void child_exec(int sockfd, int rfd, const plan *p) {
  restore_start_policy();
  reset_signals();
  setsid();
  if (rfd >= 0 && rfd != 3) {
    /* Move the report pipe to 3 (the socket goes to 0, 1, 2). */
    if (sockfd == 3) {
      int s2 = fcntl(sockfd, F_DUPFD, 4);
      if (s2 < 0) child_fail(rfd, ST_DUP, errno, 1);
      sockfd = s2;
    }
    if (dup3(rfd, 3, O_CLOEXEC) < 0) _exit(1);
    rfd = 3;
  }
  for (int i = 0; i < 3; i++)
    if (sockfd != i && dup2(sockfd, i) < 0) child_fail(rfd, ST_DUP, errno, 1);
  close_above(rfd >= 0 ? 4 : 3);
  ipv4_form(0);
  /* xinetd hands servers a blocking socket. */
  set_nonblock(0, 0);
  if (chdir("/") < 0) { /* ignore */ }

  if (p->has_gid && setgid(p->gid) < 0) child_fail(rfd, ST_SETGID, errno, 1);
  if (p->initgroups_name) {
    /* As xinetd: the user's own passwd gid joins the supplementary groups, whatever `group` is;
     * a user without a passwd entry (a bare uid) cannot have them: the server is not started. */
    errno = 0;
    struct passwd *pw = getpwnam(p->initgroups_name);
    if (!pw) child_fail(rfd, ST_GETPW, errno, 1);
    if (initgroups(p->initgroups_name, pw->pw_gid) < 0) child_fail(rfd, ST_GROUPS, errno, 1);
  } else if (p->has_groups) {
    if (setgroups((size_t)p->ngroups, p->groups) < 0) child_fail(rfd, ST_GROUPS, errno, 1);
  }
  if (p->has_uid && setuid(p->uid) < 0) child_fail(rfd, ST_SETUID, errno, 1);
  if (p->has_umask) umask(p->umask_v);
  if (p->has_nice && p->nice_v) {
    errno = 0;
    if (nice(p->nice_v) == -1 && errno) { /* failure ignored, as xinetd does */ }
  }
  for (int r = 0; r < RL_N; r++) {
    if (!p->rl[r]) continue;
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = (rlim_t)p->rl[r];
    if (setrlimit(rl_res[r], &rl) < 0) { /* ignored */ }
  }
  execve(p->path, p->argv, p->envp);
  /* xinetd reports an exec failure with exit status 0 */
  child_fail(rfd, ST_EXEC, errno, 0);
}

/* ---- the vfork fast path: clone(CLONE_VM | CLONE_VFORK) on a stack of our own ----
 * The child borrows our memory until execve() or _exit(), and we are suspended meanwhile,
 * so there is no page-table copy and the outcome is known when clone() returns. It only
 * makes system calls (no malloc, no NSS), except initgroups(), which reads the group
 * database: those plans take the fork() path. */
#define VFORK_STACK (256 * 1024)
static char *vfork_stack;

struct vfork_args {
  int sockfd;
  const plan *p;
};

static int vfork_child(void *arg) {
  const struct vfork_args *a = arg;
  child_exec(a->sockfd, -1, a->p);
  return 1; /* not reached */
}

static pid_t start_server_vfork(const char *id, int sockfd, const plan *p, watched *w) {
  if (!vfork_stack) {
    vfork_stack = xmalloc(VFORK_STACK);
  }
  struct vfork_args a = {sockfd, p};
  vfork_report.stage = 0;
  vfork_report.err = 0;
  /* the stack grows down on every architecture Linux/glibc supports here */
  pid_t pid = clone(vfork_child, vfork_stack + VFORK_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
  if (pid < 0) return -1;
  child *c = add_child(pid, id, -1, w);
  if (vfork_report.stage) {
    c->rep.stage = vfork_report.stage;
    c->rep.err = vfork_report.err;
    c->have_rep = 1;
  }
  return pid;
}

/* Fork a server with sockfd as 0, 1, 2. Returns the pid or -1 (errno set). */
pid_t start_server(const char *id, int sockfd, const plan *p, watched *w) {
  if (!p->initgroups_name) return start_server_vfork(id, sockfd, p, w);
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(pfd[0]);
    close(pfd[1]);
    errno = e;
    return -1;
  }
  if (pid == 0) {
    close(pfd[0]);
    child_exec(sockfd, pfd[1], p);
  }
  close(pfd[1]);
  set_nonblock(pfd[0], 1);
  add_child(pid, id, pfd[0], w);
  return pid;
}
