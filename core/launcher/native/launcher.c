/*
 * xinetd-ts-launcher: the process that forks and execs servers for xinetd-ts.
 *
 * The daemon (Node.js) spawns this program once with an IPC channel
 * (child_process.spawn(..., { stdio: [..., 'ipc'], serialization: 'json' })).
 * The channel is a unix stream socketpair whose number is in NODE_CHANNEL_FD.
 * Node's JSON IPC framing is one JSON value per line; a message sent together
 * with a handle arrives as {"cmd":"NODE_HANDLE","type":T,"msg":M,...} and the
 * descriptor travels as SCM_RIGHTS with the bytes that start that line. Node
 * sends nothing more with a handle until the receiver answers
 * {"cmd":"NODE_HANDLE_ACK"} (or NODE_HANDLE_NACK: "resend it").
 *
 * Our own payloads (M) are JSON strings holding space-separated tokens, each
 * percent-encoded, so only a very small JSON reader is needed here.
 * See docs/launcher.md for the command set.
 *
 * The descriptor channel: when XINETD_TS_FD_CHANNEL names an inherited unix
 * SOCK_SEQPACKET socket, each packet on it is one command (the same text as an
 * IPC payload) with at most one descriptor (SCM_RIGHTS). The daemon's native
 * accept path sends its wait = no starts this way: no JSON, no handle
 * acknowledgement, and the daemon closes its copy as soon as the packet is sent.
 * Replies still go over the IPC channel.
 *
 * Single-threaded: one poll() loop over the IPC socket, a signalfd for
 * SIGCHLD, the exec-report pipes of children that have not exec'd yet, and
 * the watched (wait = yes) sockets. Every descriptor of this process is
 * close-on-exec, and children close everything above 2 anyway.
 *
 * This file: start-up and the poll loop. The rest, one concept a file beside it:
 *   ipc-channel.c         Node's IPC framing both ways, the handle protocol, the outgoing queue
 *   json-line.c           reading one IPC line (just enough JSON)
 *   descriptor-channel.c  the SOCK_SEQPACKET channel of the native accept path
 *   commands.c            what each command from the daemon does
 *   plan.c                decoding a launch plan; plan-registry.c: registered plans
 *   server-start.c        clone/fork and the child's set-up before exec
 *   children.c            started servers, reaping, the execfail/setupfail/exit reports
 *   watched.c             wait = yes sockets: ready, drain, resume
 *   tokens.c, byte-string.c, alloc.c, fd-flags.c   payload text and small helpers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "alloc.h"
#include "children.h"
#include "descriptor-channel.h"
#include "fd-flags.h"
#include "ipc-channel.h"
#include "server-start.h"
#include "watched.h"

static void die(const char *what) {
  fprintf(stderr, "xinetd-ts-launcher: %s: %s\n", what, strerror(errno));
  exit(2);
}

int main(void) {
  const char *e = getenv("NODE_CHANNEL_FD");
  if (!e || !*e) {
    fprintf(stderr, "xinetd-ts-launcher: must be started by xinetd-ts (NODE_CHANNEL_FD unset)\n");
    return 2;
  }
  ipc_fd = atoi(e);
  if (fcntl(ipc_fd, F_GETFD) < 0) die("NODE_CHANNEL_FD");
  set_cloexec(ipc_fd);
  set_nonblock(ipc_fd, 1);
  /* 0, 1 and 2 are the daemon's choice; keep them off the servers anyway */
  for (int i = 0; i < 3; i++) set_cloexec(i);
  const char *ch = getenv("XINETD_TS_FD_CHANNEL");
  if (ch && *ch) {
    channel_fd = atoi(ch);
    if (channel_fd <= 2 || channel_fd == ipc_fd || fcntl(channel_fd, F_GETFD) < 0) channel_fd = -1;
    else {
      set_cloexec(channel_fd);
      set_nonblock(channel_fd, 1);
    }
  }
  /* any other inherited descriptor is closed */
  for (int fd = 3; fd < 1024; fd++)
    if (fd != ipc_fd && fd != channel_fd) close(fd);

  /* servers inherit RLIMIT_NOFILE soft = hard (xinetd behaviour) */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, SIG_IGN);  /* a terminal ^C is for the daemon to decide */
  signal(SIGQUIT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGUSR1, SIG_IGN);
  signal(SIGUSR2, SIG_IGN);
  find_nondefault_signals();
  note_start_policy();
  sigset_t ss;
  sigemptyset(&ss);
  sigaddset(&ss, SIGCHLD);
  sigprocmask(SIG_BLOCK, &ss, NULL);
  int sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die("signalfd");
  sigchld_fd = sfd;

  inbuf = xmalloc(MAX_LINE);
  struct pollfd *pfd = NULL;
  void **what = NULL;
  int cap = 0;

  for (;;) {
    int need = 3 + nw + nchildren;
    if (need > cap) {
      cap = need * 2;
      pfd = xrealloc(pfd, sizeof *pfd * (size_t)cap);
      what = xrealloc(what, sizeof *what * (size_t)cap);
    }
    int n = 0;
    pfd[n] = (struct pollfd){ipc_fd, POLLIN | (out_head ? POLLOUT : 0), 0};
    what[n++] = NULL;
    pfd[n] = (struct pollfd){sfd, POLLIN, 0};
    what[n++] = NULL;
    int chan = -1;
    if (channel_fd >= 0) {
      chan = n;
      pfd[n] = (struct pollfd){channel_fd, POLLIN, 0};
      what[n++] = NULL;
    }
    int wbase = n;
    for (int i = 0; i < nw; i++) {
      if (wlist[i]->state != W_WATCH) continue;
      pfd[n] = (struct pollfd){wlist[i]->fd, POLLIN, 0};
      what[n++] = wlist[i];
    }
    int cbase = n;
    for (int i = 0; i < nchildren; i++) {
      if (children[i]->report_fd < 0) continue;
      pfd[n] = (struct pollfd){children[i]->report_fd, POLLIN, 0};
      what[n++] = children[i];
    }
    int r = poll(pfd, (nfds_t)n, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) read_ipc();
    if (pfd[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {}
      reap();
    }
    if (chan >= 0 && channel_fd >= 0 && (pfd[chan].revents & (POLLIN | POLLHUP | POLLERR))) read_channel();
    for (int i = cbase; i < n; i++) {
      if (!pfd[i].revents) continue;
      child *c = what[i];
      /* the child may have been reaped (and freed) above */
      if (child_is_live(c)) child_report_read(c);
    }
    for (int i = wbase; i < cbase; i++) {
      if (!pfd[i].revents) continue;
      watched *w = what[i];
      if (watched_is_live(w) && w->state == W_WATCH) check_watched(w);
    }
    pump_handles();
    flush_out();
  }
}
