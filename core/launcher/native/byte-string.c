/* A growable, NUL-terminated byte string (byte-string.h): sb_put, where every append ends. */
#define _GNU_SOURCE
#include <string.h>
#include "alloc.h"
#include "byte-string.h"

void sb_put(sbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t c = b->cap ? b->cap * 2 : 256;
    while (c < b->len + n + 1) c *= 2;
    b->p = xrealloc(b->p, c);
    b->cap = c;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}
