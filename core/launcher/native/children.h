/*
 * The servers this launcher started and has not reaped (children.c): the report pipes of the
 * fork()ed ones, reaping on SIGCHLD, and what the daemon hears then: execfail or setupfail,
 * then exit (a wait = yes dgram socket is drained before, and watched again after).
 */
#ifndef XINETD_TS_LAUNCHER_CHILDREN_H
#define XINETD_TS_LAUNCHER_CHILDREN_H
#include <sys/types.h>
#include "server-start.h"

struct watched;

typedef struct child {
  pid_t pid;
  char *id;
  int report_fd;   /* read end of the exec report pipe, -1 once read */
  report rep;
  int have_rep;
  struct watched *w; /* the wait = yes socket it serves, or NULL */
} child;

extern child **children;
extern int nchildren;

child *find_child(pid_t pid);

/* c is still one of the children (not reaped and freed since it was looked up). */
int child_is_live(const child *c);
child *add_child(pid_t pid, const char *id, int report_fd, struct watched *w);
/* A fork()ed child's report, once it is there. */
void child_report_read(child *c);
/* Every child that has ended. */
void reap(void);

/* The signalfd that reads SIGCHLD (set up by main), -1 before. */
extern int sigchld_fd;

/*
 * Between two commands of a burst, at most every 2 ms: reap the servers that ended and send
 * what is queued (`started`, `exit`). Without it a burst of starts (up to 64 per wakeup, each
 * waiting for its exec) ran before any of them was confirmed or any ended server reported, so under churn the
 * daemon counted tens of servers that had long exited, and `instances` refused clients with
 * fewer servers running than allowed (xinetd, which reaps between accepts, never did).
 */
void report_progress(void);

#endif
