/*
 * Launch plans (plan.c): the key=value tokens of a start or of a `plan` command decoded into
 * what the child applies before exec (docs/launcher.md, "Wire protocol"). A plan's strings
 * point into its tokens, which must outlive it.
 */
#ifndef XINETD_TS_LAUNCHER_PLAN_H
#define XINETD_TS_LAUNCHER_PLAN_H
#include <stdlib.h>
#include <sys/types.h>
#include "tokens.h"

enum { RL_AS, RL_CPU, RL_DATA, RL_RSS, RL_STACK, RL_NOFILE, RL_N };
extern const int rl_res[RL_N]; /* the RLIMIT_ resource of each RL_ index */

typedef struct {
  const char *path;
  char **argv; int argc;
  char **envp; int envc;
  int has_uid; uid_t uid;
  int has_gid; gid_t gid;
  const char *initgroups_name;
  int has_groups; gid_t *groups; int ngroups;
  int has_umask; mode_t umask_v;
  int has_nice; int nice_v;
  unsigned long long rl[RL_N];
} plan;

static inline void plan_free(plan *p) {
  free(p->argv);
  free(p->envp);
  free(p->groups);
}

/* Decode the tokens from index `from`; 0, or -1 with *why set. Free p with plan_free either
 * way. The tokens are modified. */
int parse_plan(toks *t, int from, plan *p, const char **why);

#endif
