/*
 * Allocation that cannot fail (alloc.c): without memory the launcher cannot go on, so it says so
 * on stderr and exits with status 2. xmalloc and xrealloc are on the path of every message:
 * inline, as they were when the launcher was one file.
 */
#ifndef XINETD_TS_LAUNCHER_ALLOC_H
#define XINETD_TS_LAUNCHER_ALLOC_H
#include <stdio.h>
#include <stdlib.h>

static inline void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "xinetd-ts-launcher: out of memory\n");
    exit(2);
  }
  return p;
}

static inline void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) {
    fprintf(stderr, "xinetd-ts-launcher: out of memory\n");
    exit(2);
  }
  return p;
}

char *xstrdup(const char *s);

#endif
