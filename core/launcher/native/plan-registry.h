/*
 * Registered plans (plan-registry.c): kept by key, replaced by a later `plan` with the same key,
 * dropped by `forget KEY` (docs/launcher.md, "Registered plans").
 */
#ifndef XINETD_TS_LAUNCHER_PLAN_REGISTRY_H
#define XINETD_TS_LAUNCHER_PLAN_REGISTRY_H
#include "plan.h"
#include "tokens.h"

/* A plan registered once (`plan KEY TOKENS...`) and used by `plan=KEY` in later starts, so a
 * start only carries what changes per connection. It owns the tokens its strings point into. */
typedef struct stored_plan {
  char *key;
  toks t;
  plan p;
} stored_plan;

/* NULL when no plan has that key. */
stored_plan *find_plan(const char *key);
/* Takes over t's tokens; a bad plan is reported with `error`. */
void register_plan(const char *key, toks *t, int from);
void forget_plan(const char *key);

#endif
