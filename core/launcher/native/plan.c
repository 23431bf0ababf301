/* Launch plans (plan.h): parse_plan turns key=value tokens into a plan, on top of a registered
 * plan when the first token is plan=KEY; and the rlimit table. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "alloc.h"
#include "plan-registry.h"
#include "plan.h"

static const char *const rl_names[RL_N] = {"as", "cpu", "data", "rss", "stack", "nofile"};
const int rl_res[RL_N] = {RLIMIT_AS, RLIMIT_CPU, RLIMIT_DATA, RLIMIT_RSS, RLIMIT_STACK,
                                 RLIMIT_NOFILE};

static int parse_num(const char *s, unsigned long long *v, int base) {
  if (!*s) return -1;
  char *end;
  errno = 0;
  unsigned long long x = strtoull(s, &end, base);
  if (errno || *end) return -1;
  *v = x;
  return 0;
}

/* Tokens from index `from` are key=value plan items; a first `plan=KEY` starts from a
 * registered plan (later arg=/env= tokens are appended to it, other keys override it). */
int parse_plan(toks *t, int from, plan *p, const char **why) {
  memset(p, 0, sizeof *p);
  const stored_plan *base = NULL;
  int unknown = 0;
  if (from < t->n && !strncmp(t->v[from], "plan=", 5)) {
    base = find_plan(t->v[from] + 5);
    unknown = !base;
    from++;
  }
  int room = t->n + 1 + (base ? base->p.argc + base->p.envc : 0);
  p->argv = xmalloc(sizeof(char *) * (size_t)room);
  p->envp = xmalloc(sizeof(char *) * (size_t)room);
  if (unknown) {
    *why = "unknown plan";
    return -1;
  }
  if (base) {
    const plan *b = &base->p;
    char **argv = p->argv, **envp = p->envp;
    *p = *b;
    p->argv = argv;
    p->envp = envp;
    memcpy(p->argv, b->argv, sizeof(char *) * (size_t)b->argc);
    memcpy(p->envp, b->envp, sizeof(char *) * (size_t)b->envc);
    p->groups = NULL;
    if (b->ngroups) {
      p->groups = xmalloc(sizeof(gid_t) * (size_t)b->ngroups);
      memcpy(p->groups, b->groups, sizeof(gid_t) * (size_t)b->ngroups);
    }
  }
  if (t->has_nul) {
    *why = "NUL byte in plan";
    return -1;
  }
  for (int i = from; i < t->n; i++) {
    char *tok = t->v[i];
    char *eq = strchr(tok, '=');
    if (!eq) {
      *why = "bad plan token";
      return -1;
    }
    *eq = 0;
    const char *k = tok, *v = eq + 1;
    unsigned long long n;
    if (!strcmp(k, "path")) p->path = v;
    else if (!strcmp(k, "arg")) p->argv[p->argc++] = (char *)v;
    else if (!strcmp(k, "env")) p->envp[p->envc++] = (char *)v;
    else if (!strcmp(k, "uid")) {
      if (parse_num(v, &n, 10) || n > 0xFFFFFFFEull) goto bad;
      p->has_uid = 1, p->uid = (uid_t)n;
    } else if (!strcmp(k, "gid")) {
      if (parse_num(v, &n, 10) || n > 0xFFFFFFFEull) goto bad;
      p->has_gid = 1, p->gid = (gid_t)n;
    } else if (!strcmp(k, "initgroups")) p->initgroups_name = v;
    else if (!strcmp(k, "groups")) {
      p->has_groups = 1;
      p->ngroups = 0;
      const char *s = v;
      while (*s) {
        char *end;
        errno = 0;
        unsigned long long g = strtoull(s, &end, 10);
        if (errno || end == s || g > 0xFFFFFFFEull) goto bad;
        p->groups = xrealloc(p->groups, sizeof(gid_t) * (size_t)(p->ngroups + 1));
        p->groups[p->ngroups++] = (gid_t)g;
        s = end;
        if (*s == ',') s++;
        else if (*s) goto bad;
      }
    } else if (!strcmp(k, "umask")) {
      if (parse_num(v, &n, 8) || n > 0777) goto bad;
      p->has_umask = 1, p->umask_v = (mode_t)n;
    } else if (!strcmp(k, "nice")) {
      char *end;
      errno = 0;
      long x = strtol(v, &end, 10);
      if (errno || !*v || *end) goto bad;
      p->has_nice = 1, p->nice_v = (int)x;
    } else if (!strcmp(k, "rlimit")) {
      char *colon = strchr(v, ':');
      if (!colon) goto bad;
      *colon = 0;
      int r;
      for (r = 0; r < RL_N; r++)
        if (!strcmp(v, rl_names[r])) break;
      if (r == RL_N) goto bad;
      /* UNLIMITED: RLIM_INFINITY (nonzero, so it is set like any other value) */
      if (!strcmp(colon + 1, "unlimited")) n = (unsigned long long)RLIM_INFINITY;
      else if (parse_num(colon + 1, &n, 10)) goto bad;
      p->rl[r] = n;
    } else {
      continue; /* unknown keys are ignored (forward compatibility) */
    }
    continue;
  bad:
    *why = "bad plan value";
    return -1;
  }
  p->argv[p->argc] = NULL;
  p->envp[p->envc] = NULL;
  if (!p->path || !*p->path) {
    *why = "no path in plan";
    return -1;
  }
  return 0;
}
