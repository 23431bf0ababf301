/* One line of Node's JSON IPC channel, read (json-line.h): a small JSON scanner (strings with
 * every escape, any other value skipped) and parse_line, which keeps what the launcher uses. */
#define _GNU_SOURCE
#include <string.h>
#include "byte-string.h"
#include "json-line.h"
#include "tokens.h"

typedef struct {
  const char *s, *e;
} jcur;

static void jws(jcur *c) {
  while (c->s < c->e && (*c->s == ' ' || *c->s == '\t' || *c->s == '\r' || *c->s == '\n')) c->s++;
}

static void put_utf8(sbuf *b, unsigned cp) {
  char u[4];
  if (cp < 0x80) {
    u[0] = (char)cp;
    sb_put(b, u, 1);
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3F));
    sb_put(b, u, 2);
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    sb_put(b, u, 3);
  } else {
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    sb_put(b, u, 4);
  }
}

static int read_hex4(jcur *c, unsigned *v) {
  if (c->e - c->s < 4) return -1;
  unsigned x = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(c->s[i]);
    if (h < 0) return -1;
    x = x * 16 + (unsigned)h;
  }
  c->s += 4;
  *v = x;
  return 0;
}

/* Parse a JSON string at c (which points at '"'); decoded into out if non-NULL. */
static int jstring(jcur *c, sbuf *out) {
  if (c->s >= c->e || *c->s != '"') return -1;
  c->s++;
  while (c->s < c->e) {
    char ch = *c->s++;
    if (ch == '"') return 0;
    if (ch != '\\') {
      if (out) sb_putc(out, ch);
      continue;
    }
    if (c->s >= c->e) return -1;
    ch = *c->s++;
    switch (ch) {
      case '"': case '\\': case '/':
        if (out) sb_putc(out, ch);
        break;
      case 'b': if (out) sb_putc(out, '\b'); break;
      case 'f': if (out) sb_putc(out, '\f'); break;
      case 'n': if (out) sb_putc(out, '\n'); break;
      case 'r': if (out) sb_putc(out, '\r'); break;
      case 't': if (out) sb_putc(out, '\t'); break;
      case 'u': {
        unsigned cp;
        if (read_hex4(c, &cp)) return -1;
        if (cp >= 0xD800 && cp < 0xDC00 && c->e - c->s >= 6 && c->s[0] == '\\' && c->s[1] == 'u') {
          jcur save = *c;
          unsigned lo;
          c->s += 2;
          if (!read_hex4(c, &lo) && lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else {
            *c = save;
          }
        }
        if (out) put_utf8(out, cp);
        break;
      }
      default:
        return -1;
    }
  }
  return -1;
}

/* Skip any JSON value. */
static int jskip(jcur *c) {
  jws(c);
  if (c->s >= c->e) return -1;
  char ch = *c->s;
  if (ch == '"') return jstring(c, NULL);
  if (ch == '{' || ch == '[') {
    int depth = 0;
    while (c->s < c->e) {
      ch = *c->s;
      if (ch == '"') {
        if (jstring(c, NULL)) return -1;
        continue;
      }
      c->s++;
      if (ch == '{' || ch == '[') depth++;
      else if (ch == '}' || ch == ']') {
        if (--depth == 0) return 0;
      }
    }
    return -1;
  }
  /* number, true, false, null */
  while (c->s < c->e && *c->s != ',' && *c->s != '}' && *c->s != ']' && *c->s != ' ' &&
         *c->s != '\t' && *c->s != '\r' && *c->s != '\n')
    c->s++;
  return 0;
}

int parse_line(const char *s, size_t n, jline *j) {
  memset(j, 0, sizeof *j);
  jcur c = {s, s + n};
  jws(&c);
  if (c.s >= c.e) return -1;
  if (*c.s == '"') {
    j->is_string = 1;
    j->has_msg = 1;
    j->msg_is_string = 1;
    sb_puts(&j->msg, "");
    return jstring(&c, &j->msg);
  }
  if (*c.s != '{') return -1;
  c.s++;
  for (;;) {
    jws(&c);
    if (c.s >= c.e) return -1;
    if (*c.s == '}') return 0;
    if (*c.s == ',') {
      c.s++;
      continue;
    }
    sbuf k = {0};
    sb_puts(&k, "");
    if (jstring(&c, &k)) {
      free(k.p);
      return -1;
    }
    jws(&c);
    if (c.s >= c.e || *c.s != ':') {
      free(k.p);
      return -1;
    }
    c.s++;
    jws(&c);
    sbuf *dst = NULL;
    int *flag = NULL;
    if (!strcmp(k.p, "cmd")) dst = &j->cmd, flag = &j->has_cmd;
    else if (!strcmp(k.p, "type")) dst = &j->type, flag = NULL;
    else if (!strcmp(k.p, "msg")) dst = &j->msg, flag = &j->has_msg;
    else if (!strcmp(k.p, "key")) dst = &j->key, flag = &j->has_key;
    free(k.p);
    if (dst && c.s < c.e && *c.s == '"') {
      dst->len = 0;
      sb_puts(dst, "");
      if (jstring(&c, dst)) return -1;
      if (flag) *flag = 1;
      if (dst == &j->msg) j->msg_is_string = 1;
    } else {
      if (dst == &j->msg) j->has_msg = 1, j->msg_is_string = 0;
      if (jskip(&c)) return -1;
    }
  }
}
