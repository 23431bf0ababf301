/* Payload tokens both ways (tokens.h): sb_tok percent-encodes one word, tokenize splits a
 * payload and decodes each word. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "tokens.h"

/* Token alphabet that is sent verbatim; everything else becomes %XX. */
static int tok_plain(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '/' || c == ',' || c == ':' || c == '=' || c == '+' ||
         c == '@' || c == '-';
}

void sb_tok(sbuf *b, const char *s) { /* percent-encoded token */
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
    if (tok_plain(*q)) {
      sb_putc(b, (char)*q);
    } else {
      char e[3] = {'%', hex[*q >> 4], hex[*q & 15]};
      sb_put(b, e, 3);
    }
  }
}

void tokenize(const char *s, toks *t) {
  memset(t, 0, sizeof *t);
  int cap = 0;
  while (*s) {
    while (*s == ' ') s++;
    if (!*s) break;
    const char *b = s;
    while (*s && *s != ' ') s++;
    size_t n = (size_t)(s - b);
    char *d = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
      if (b[i] == '%' && i + 2 < n && hexval(b[i + 1]) >= 0 && hexval(b[i + 2]) >= 0) {
        char ch = (char)(hexval(b[i + 1]) * 16 + hexval(b[i + 2]));
        if (!ch) t->has_nul = 1;
        d[o++] = ch;
        i += 2;
      } else {
        d[o++] = b[i];
      }
    }
    d[o] = 0;
    if (t->n == cap) {
      cap = cap ? cap * 2 : 16;
      t->v = xrealloc(t->v, sizeof(char *) * (size_t)cap);
      t->len = xrealloc(t->len, sizeof(size_t) * (size_t)cap);
    }
    t->v[t->n] = d;
    t->len[t->n] = o;
    t->n++;
  }
}
