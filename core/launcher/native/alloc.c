/* Allocation that cannot fail: xstrdup (xmalloc and xrealloc are inline in alloc.h). */
#define _GNU_SOURCE
#include <string.h>
#include "alloc.h"

char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = xmalloc(n);
  memcpy(p, s, n);
  return p;
}
