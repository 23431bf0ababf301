/*
 * A growable byte string, always NUL-terminated (byte-string.c): every message the launcher
 * writes, and every string it decodes, is built in one. sb_puts and sb_putc are called for
 * nearly every byte of a message: inline.
 */
#ifndef XINETD_TS_LAUNCHER_BYTE_STRING_H
#define XINETD_TS_LAUNCHER_BYTE_STRING_H
#include <stddef.h>
#include <string.h>

/* Growable byte string. */
typedef struct {
  char *p;
  size_t len, cap;
} sbuf;

/* Append n bytes. */
void sb_put(sbuf *b, const char *s, size_t n);
static inline void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }
static inline void sb_putc(sbuf *b, char c) { sb_put(b, &c, 1); }

#endif
