/* Started servers (children.h): the children not yet reaped, their exec reports, and reap(),
 * which tells the daemon how each one ended. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "alloc.h"
#include "byte-string.h"
#include "children.h"
#include "ipc-channel.h"
#include "tokens.h"
#include "watched.h"

child **children;
int nchildren;
static int capchildren;
int sigchld_fd = -1;

/*
 * At most every 2 ms within a burst: often enough that the daemon's count of running servers
 * trails by a few (instances), rarely enough that it is not woken for every start (reporting
 * after every command cut a single launcher's rate at 64 clients of `hello` from 2,400 to 700
 * starts/s).
 */
#define REPORT_EVERY_NS 2000000LL

void report_progress(void) {
  if (sigchld_fd < 0) return;
  static long long last;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  long long now = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
  if (now - last < REPORT_EVERY_NS) return;
  last = now;
  struct signalfd_siginfo si;
  int ended = 0;
  while (read(sigchld_fd, &si, sizeof si) > 0) ended = 1;
  if (ended) reap();
  flush_out();
}

child *find_child(pid_t pid) {
  for (int i = 0; i < nchildren; i++)
    if (children[i]->pid == pid) return children[i];
  return NULL;
}

int child_is_live(const child *c) {
  for (int i = 0; i < nchildren; i++)
    if (children[i] == c) return 1;
  return 0;
}

void child_report_read(child *c) {
  if (c->report_fd < 0) return;
  report r;
  ssize_t n;
  do n = read(c->report_fd, &r, sizeof r);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return; /* not yet */
  if (n == (ssize_t)sizeof r) {
    c->rep = r;
    c->have_rep = 1;
  }
  close(c->report_fd);
  c->report_fd = -1;
}

child *add_child(pid_t pid, const char *id, int report_fd, watched *w) {
  child *c = xmalloc(sizeof *c);
  memset(c, 0, sizeof *c);
  c->pid = pid;
  c->id = xstrdup(id);
  c->report_fd = report_fd;
  c->w = w;
  if (nchildren == capchildren) {
    capchildren = capchildren ? capchildren * 2 : 64;
    children = xrealloc(children, sizeof(child *) * (size_t)capchildren);
  }
  children[nchildren++] = c;
  return c;
}

void reap(void) {
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) {
      if (pid < 0 && errno == EINTR) continue;
      return;
    }
    int idx = -1;
    for (int i = 0; i < nchildren; i++)
      if (children[i]->pid == pid) idx = i;
    if (idx < 0) continue;
    child *c = children[idx];
    if (c->w && c->w->state == W_RUNNING) drain_dgram(c->w);
    child_report_read(c);
    if (c->report_fd >= 0) { /* still EAGAIN: cannot really happen */
      close(c->report_fd);
      c->report_fd = -1;
    }
    if (c->have_rep) {
      sbuf b = {0};
      if (c->rep.stage == ST_EXEC) {
        sb_puts(&b, "execfail ");
        sb_tok(&b, c->id);
        sb_putc(&b, ' ');
        sb_tok(&b, strerror(c->rep.err));
      } else {
        sb_puts(&b, "setupfail ");
        sb_tok(&b, c->id);
        sb_putc(&b, ' ');
        char t[256];
        int s = c->rep.stage;
        snprintf(t, sizeof t, "%s: %s", (s > 0 && s <= ST_GETPW) ? stage_names[s] : "setup",
                 strerror(c->rep.err));
        sb_tok(&b, t);
      }
      /* the number too: xinetd's messages end in `(errno = N)` */
      char en[16];
      snprintf(en, sizeof en, " %d", c->rep.err);
      sb_puts(&b, en);
      send_payload(b.p);
      free(b.p);
    }
    sbuf b = {0};
    char t[96];
    sb_puts(&b, "exit ");
    sb_tok(&b, c->id);
    if (WIFSIGNALED(st)) snprintf(t, sizeof t, " %d signal %d", (int)pid, WTERMSIG(st));
    else snprintf(t, sizeof t, " %d status %d", (int)pid, WEXITSTATUS(st));
    sb_puts(&b, t);
    send_payload(b.p);
    free(b.p);
    if (c->w && c->w->state == W_RUNNING) watch_resume(c->w);
    children[idx] = children[--nchildren];
    free(c->id);
    free(c);
  }
}
