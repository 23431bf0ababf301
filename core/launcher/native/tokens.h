/*
 * Payload tokens (tokens.c): a payload is space-separated words, each percent-encoded (bytes
 * outside [A-Za-z0-9._/,:=+@-] become %XX), both ways: sb_tok writes one, tokenize splits and
 * decodes a payload. hexval also serves the JSON reader's \uXXXX.
 */
#ifndef XINETD_TS_LAUNCHER_TOKENS_H
#define XINETD_TS_LAUNCHER_TOKENS_H
#include <stddef.h>
#include <stdlib.h>
#include "byte-string.h"

static inline int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* Append s as one token. */
void sb_tok(sbuf *b, const char *s);

typedef struct {
  char **v;
  size_t *len; /* decoded length (tokens may not contain NUL for our use) */
  int n;
  int has_nul;
} toks;

static inline void toks_free(toks *t) {
  for (int i = 0; i < t->n; i++) free(t->v[i]);
  free(t->v);
  free(t->len);
}

/* Split and decode a payload (t->has_nul: a token held %00); free t with toks_free. */
void tokenize(const char *s, toks *t);

#endif
