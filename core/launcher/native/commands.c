/* The daemon's commands (commands.h): one payload decoded and done; every start goes through
 * do_start, which answers `started` or `failed`. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "alloc.h"
#include "byte-string.h"
#include "children.h"
#include "commands.h"
#include "fd-flags.h"
#include "ipc-channel.h"
#include "plan-registry.h"
#include "plan.h"
#include "server-start.h"
#include "tokens.h"
#include "watched.h"

static void reply_fail(const char *id, const char *text) {
  sbuf b = {0};
  sb_puts(&b, "failed ");
  sb_tok(&b, id);
  sb_putc(&b, ' ');
  sb_tok(&b, text);
  send_payload(b.p);
  free(b.p);
}

static void do_start(const char *id, int sockfd, toks *t, int from, watched *w) {
  plan p;
  const char *why = NULL;
  if (parse_plan(t, from, &p, &why) < 0) {
    if (w) drain_dgram(w);
    reply_fail(id, why);
    plan_free(&p);
    if (w) watch_resume(w);
    return;
  }
  pid_t pid = start_server(id, sockfd, &p, w);
  plan_free(&p);
  if (pid < 0) {
    int err = errno;
    if (w) drain_dgram(w);
    reply_fail(id, strerror(err));
    if (w) watch_resume(w);
    return;
  }
  if (w) w->state = W_RUNNING;
  sbuf b = {0};
  char num[32];
  sb_puts(&b, "started ");
  sb_tok(&b, id);
  snprintf(num, sizeof num, " %d", (int)pid);
  sb_puts(&b, num);
  send_payload(b.p);
  free(b.p);
}

void handle_command(const char *payload, int fd) {
  toks t;
  tokenize(payload, &t);
  const char *c = t.n ? t.v[0] : "";
  if (!strcmp(c, "spawn") && t.n >= 2) {
    if (fd < 0) reply_fail(t.v[1], "no descriptor received");
    else do_start(t.v[1], fd, &t, 2, NULL);
  } else if (!strcmp(c, "adopt") && t.n >= 3) {
    if (fd < 0 || find_w(t.v[1])) {
      send2("error", fd < 0 ? "adopt without descriptor" : "adopt of a known id");
    } else {
      int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
      if (d < 0) {
        send2("error", "dup failed");
      } else {
        watched *w = xmalloc(sizeof *w);
        w->sid = xstrdup(t.v[1]);
        w->fd = d;
        w->dgram = !strcmp(t.v[2], "dgram");
        w->state = (t.n >= 4 && !strcmp(t.v[3], "idle")) ? W_IDLE : W_WATCH;
        if (w->state == W_WATCH) set_nonblock(d, 1);
        if (nw == capw) {
          capw = capw ? capw * 2 : 16;
          wlist = xrealloc(wlist, sizeof(watched *) * (size_t)capw);
        }
        wlist[nw++] = w;
        sbuf b = {0};
        sb_puts(&b, "keep ");
        sb_tok(&b, w->sid);
        send_handle(w->dgram ? "dgram.Native" : "net.Native", b.p, d);
        b.len = 0;
        sb_puts(&b, "adopted ");
        sb_tok(&b, w->sid);
        send_payload(b.p);
        free(b.p);
      }
    }
  } else if (!strcmp(c, "launch") && t.n >= 3) {
    watched *w = find_w(t.v[1]);
    if (!w) reply_fail(t.v[2], "unknown socket");
    else if (w->state != W_READY) reply_fail(t.v[2], "socket busy");
    else do_start(t.v[2], w->fd, &t, 3, w);
  } else if (!strcmp(c, "refuse") && t.n >= 2) {
    watched *w = find_w(t.v[1]);
    if (w && w->state == W_READY) {
      if (w->dgram) {
        char b;
        (void)!recv(w->fd, &b, 1, MSG_DONTWAIT | MSG_TRUNC);
      } else {
        int a = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (a >= 0) close(a);
      }
      w->state = W_WATCH;
    }
  } else if (!strcmp(c, "resume") && t.n >= 2) {
    watched *w = find_w(t.v[1]);
    if (w && w->state == W_IDLE) watch_resume(w);
  } else if (!strcmp(c, "release") && t.n >= 2) {
    for (int i = 0; i < nw; i++) {
      watched *w = wlist[i];
      if (strcmp(w->sid, t.v[1])) continue;
      for (int k = 0; k < nchildren; k++)
        if (children[k]->w == w) children[k]->w = NULL;
      close(w->fd);
      free(w->sid);
      free(w);
      wlist[i] = wlist[--nw];
      break;
    }
    sbuf b = {0};
    sb_puts(&b, "released ");
    sb_tok(&b, t.v[1]);
    send_payload(b.p);
    free(b.p);
  } else if (!strcmp(c, "kill") && t.n >= 3) {
    long pid = strtol(t.v[1], NULL, 10);
    int sig = (int)strtol(t.v[2], NULL, 10);
    if (pid > 0 && find_child((pid_t)pid)) kill((pid_t)pid, sig);
  } else if (!strcmp(c, "plan") && t.n >= 2) {
    char *key = xstrdup(t.v[1]);
    register_plan(key, &t, 2);
    free(key);
  } else if (!strcmp(c, "forget") && t.n >= 2) {
    forget_plan(t.v[1]);
  } else if (!strcmp(c, "ping")) {
    /* Every server that has ended by now is reported before the answer: the daemon asks when a
     * count of running servers is about to refuse a client (plugins/limits/fresh-counts.ts). */
    reap();
    sbuf b = {0};
    sb_puts(&b, "pong");
    if (t.n >= 2) {
      sb_putc(&b, ' ');
      sb_tok(&b, t.v[1]);
    }
    send_payload(b.p);
    free(b.p);
  } else if (t.n) {
    send2("error", "unknown command");
  }
  toks_free(&t);
}
