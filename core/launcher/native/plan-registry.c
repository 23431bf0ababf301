/* Registered plans (plan-registry.h): the kept plans and their keys. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "byte-string.h"
#include "ipc-channel.h"
#include "plan-registry.h"
#include "tokens.h"

static stored_plan **plans;
static int nplans, capplans;

stored_plan *find_plan(const char *key) {
  for (int i = nplans - 1; i >= 0; i--)
    if (!strcmp(plans[i]->key, key)) return plans[i];
  return NULL;
}

/* `plan KEY TOKENS...`: parse once and keep (replacing an older plan with that key). */
void register_plan(const char *key, toks *t, int from) {
  stored_plan *sp = xmalloc(sizeof *sp);
  const char *why = NULL;
  /* a stored plan never refers to another one, which could be forgotten first */
  int nested = from < t->n && !strncmp(t->v[from], "plan=", 5);
  if (nested) memset(&sp->p, 0, sizeof sp->p), why = "a plan cannot use plan=";
  if (nested || parse_plan(t, from, &sp->p, &why) < 0) {
    plan_free(&sp->p);
    free(sp);
    sbuf b = {0};
    sb_puts(&b, "error ");
    char text[256];
    snprintf(text, sizeof text, "plan %s: %s", key, why);
    sb_tok(&b, text);
    send_payload(b.p);
    free(b.p);
    return;
  }
  sp->key = xstrdup(key);
  sp->t = *t; /* the plan's strings point into these tokens: take them over */
  memset(t, 0, sizeof *t);
  for (int i = 0; i < nplans; i++) {
    if (strcmp(plans[i]->key, key)) continue;
    stored_plan *old = plans[i];
    plans[i] = sp;
    plan_free(&old->p);
    toks_free(&old->t);
    free(old->key);
    free(old);
    return;
  }
  if (nplans == capplans) {
    capplans = capplans ? capplans * 2 : 16;
    plans = xrealloc(plans, sizeof(stored_plan *) * (size_t)capplans);
  }
  plans[nplans++] = sp;
}

void forget_plan(const char *key) {
  for (int i = 0; i < nplans; i++) {
    if (strcmp(plans[i]->key, key)) continue;
    stored_plan *sp = plans[i];
    plans[i] = plans[--nplans];
    plan_free(&sp->p);
    toks_free(&sp->t);
    free(sp->key);
    free(sp);
    return;
  }
}
