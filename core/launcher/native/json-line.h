/*
 * One line of Node's JSON IPC channel, read (json-line.c): just enough JSON for what Node sends,
 * a string (a plain message) or an object whose "cmd", "type", "msg" and "key" members are kept
 * when they are strings; every other value is skipped.
 */
#ifndef XINETD_TS_LAUNCHER_JSON_LINE_H
#define XINETD_TS_LAUNCHER_JSON_LINE_H
#include <stddef.h>
#include <stdlib.h>
#include "byte-string.h"

typedef struct {
  int is_string;       /* the whole line was a JSON string (a plain message) */
  sbuf cmd, type, msg, key;
  int has_cmd, has_msg, has_key, msg_is_string;
} jline;

static inline void jline_free(jline *j) {
  free(j->cmd.p);
  free(j->type.p);
  free(j->msg.p);
  free(j->key.p);
}

/* 0, or -1 for a malformed line; free j with jline_free either way. */
int parse_line(const char *s, size_t n, jline *j);

#endif
