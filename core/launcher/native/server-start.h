/*
 * Starting a server (server-start.c): clone(CLONE_VM | CLONE_VFORK) on a stack of our own, or
 * fork() for initgroups plans, and what the child does before execve() (signals, session,
 * descriptors, credentials, umask, nice, rlimits: docs/launcher.md, "What a server gets"). A
 * failed set-up or exec is reported as a stage and an errno, which children.c sends on.
 */
#ifndef XINETD_TS_LAUNCHER_SERVER_START_H
#define XINETD_TS_LAUNCHER_SERVER_START_H
#include <sys/types.h>
#include "plan.h"

enum { ST_EXEC = 1, ST_SETGID, ST_GROUPS, ST_SETUID, ST_DUP, ST_GETPW };
extern const char *const stage_names[]; /* the name of each ST_ stage */

typedef struct {
  int stage, err;
} report;

struct watched;

/* Once at start: the signals whose disposition a child has to reset. */
void find_nondefault_signals(void);
/* Once at start: the scheduling policy servers get back (the daemon may switch ours). */
void note_start_policy(void);
/* Start a server with sockfd as 0, 1, 2, recorded as a child (children.h) that serves w (NULL:
 * wait = no). Returns the pid, or -1 (errno set). */
pid_t start_server(const char *id, int sockfd, const plan *p, struct watched *w);

#endif
