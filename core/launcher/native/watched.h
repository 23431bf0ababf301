/*
 * Watched (wait = yes) sockets (watched.c): a listening or bound socket the launcher holds and
 * polls, and says `ready` when a connection or a datagram waits; then it leaves the socket alone
 * until the daemon launches (and that server has ended) or refuses. A dgram socket's queue is
 * drained when its server ends or cannot start (docs/launcher.md, "Drain").
 */
#ifndef XINETD_TS_LAUNCHER_WATCHED_H
#define XINETD_TS_LAUNCHER_WATCHED_H
#include "fd-flags.h"

typedef struct watched {
  char *sid;
  int fd;
  int dgram;
  enum { W_WATCH, W_READY, W_RUNNING, W_IDLE } state;
} watched;

extern watched **wlist;
extern int nw, capw;

/* w is still watched (not released and freed since it was looked up). */
int watched_is_live(const watched *w);

watched *find_w(const char *sid);

static inline void watch_resume(watched *w) {
  set_nonblock(w->fd, 1);
  w->state = W_WATCH;
}

void drain_dgram(watched *w);
/* A watched socket polled readable: `ready` when a connection or datagram really waits. */
void check_watched(watched *w);

#endif
