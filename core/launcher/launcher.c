/*
 * xinetd-ts-launcher: the process that forks and execs servers for xinetd-ts.
 *
 * The daemon (Node.js) spawns this program once with an IPC channel
 * (child_process.spawn(..., { stdio: [..., 'ipc'], serialization: 'json' })).
 * The channel is a unix stream socketpair whose number is in NODE_CHANNEL_FD.
 * Node's JSON IPC framing is one JSON value per line; a message sent together
 * with a handle arrives as {"cmd":"NODE_HANDLE","type":T,"msg":M,...} and the
 * descriptor travels as SCM_RIGHTS with the bytes that start that line. Node
 * sends nothing more with a handle until the receiver answers
 * {"cmd":"NODE_HANDLE_ACK"} (or NODE_HANDLE_NACK: "resend it").
 *
 * Our own payloads (M) are JSON strings holding space-separated tokens, each
 * percent-encoded, so only a very small JSON reader is needed here.
 * See docs/launcher.md for the command set.
 *
 * The descriptor channel: when XINETD_TS_FD_CHANNEL names an inherited unix
 * SOCK_SEQPACKET socket, each packet on it is one command (the same text as an
 * IPC payload) with at most one descriptor (SCM_RIGHTS). The daemon's native
 * accept path sends its wait = no starts this way: no JSON, no handle
 * acknowledgement, and the daemon closes its copy as soon as the packet is sent.
 * Replies still go over the IPC channel.
 *
 * Single-threaded: one poll() loop over the IPC socket, a signalfd for
 * SIGCHLD, the exec-report pipes of children that have not exec'd yet, and
 * the watched (wait = yes) sockets. Every descriptor of this process is
 * close-on-exec, and children close everything above 2 anyway.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LINE (1024 * 1024)          /* longest accepted IPC line */
#define MAX_OUT (64 * 1024 * 1024)      /* cap of queued outgoing bytes */
#define MAX_FDQ 16                      /* received descriptors not yet matched */
#define MAX_PACKET (64 * 1024)          /* longest command on the descriptor channel */

/* ------------------------------------------------------------------ utils */

static void die(const char *what) {
  fprintf(stderr, "xinetd-ts-launcher: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "xinetd-ts-launcher: out of memory\n");
    exit(2);
  }
  return p;
}

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) {
    fprintf(stderr, "xinetd-ts-launcher: out of memory\n");
    exit(2);
  }
  return p;
}

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = xmalloc(n);
  memcpy(p, s, n);
  return p;
}

static int set_nonblock(int fd, int on) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return -1;
  int nfl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  if (nfl == fl) return 0;
  return fcntl(fd, F_SETFL, nfl);
}

static int set_cloexec(int fd) {
  int fl = fcntl(fd, F_GETFD);
  if (fl < 0) return -1;
  return fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

/* Token alphabet that is sent verbatim; everything else becomes %XX. */
static int tok_plain(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '/' || c == ',' || c == ':' || c == '=' || c == '+' ||
         c == '@' || c == '-';
}

/* Growable byte string. */
typedef struct {
  char *p;
  size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
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
static void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }
static void sb_putc(sbuf *b, char c) { sb_put(b, &c, 1); }
static void sb_tok(sbuf *b, const char *s) { /* percent-encoded token */
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

/* ------------------------------------------------------------ IPC output */

typedef struct outmsg {
  struct outmsg *next;
  char *data;
  size_t len, off;
  int fd; /* >= 0: send with SCM_RIGHTS with the first byte, then close */
} outmsg;

static int ipc_fd = -1;
static outmsg *out_head, *out_tail;   /* ready to write, in order */
static outmsg *hq_head, *hq_tail;     /* handle messages waiting for the previous ACK */
static size_t out_bytes;
static int handle_in_flight;          /* we sent a handle and await NODE_HANDLE_ACK */
static outmsg *handle_sent;           /* copy kept for NODE_HANDLE_NACK retransmission */

static void free_msg(outmsg *m) {
  if (!m) return;
  if (m->fd >= 0) close(m->fd);
  free(m->data);
  free(m);
}

static void out_append(outmsg *m) {
  m->next = NULL;
  if (out_tail) out_tail->next = m; else out_head = m;
  out_tail = m;
  out_bytes += m->len;
}

static outmsg *new_msg(const char *line, size_t len, int fd) {
  outmsg *m = xmalloc(sizeof *m);
  m->data = xmalloc(len);
  memcpy(m->data, line, len);
  m->len = len;
  m->off = 0;
  m->fd = fd;
  m->next = NULL;
  return m;
}

/* Queue one raw JSON line (must end with '\n'). */
static void queue_raw(const char *line, size_t len) {
  if (out_bytes + len > MAX_OUT) {
    fprintf(stderr, "xinetd-ts-launcher: output queue full, dropping a message\n");
    return;
  }
  out_append(new_msg(line, len, -1));
}

static void queue_raw_str(const char *line) { queue_raw(line, strlen(line)); }

/* Queue a payload string as a JSON string line. Payloads only hold token
 * characters, '%' and spaces, but escape anyway. */
static void send_payload(const char *payload) {
  sbuf b = {0};
  sb_putc(&b, '"');
  for (const unsigned char *q = (const unsigned char *)payload; *q; q++) {
    if (*q == '"' || *q == '\\') {
      sb_putc(&b, '\\');
      sb_putc(&b, (char)*q);
    } else if (*q < 0x20) {
      char e[8];
      snprintf(e, sizeof e, "\\u%04x", *q);
      sb_puts(&b, e);
    } else {
      sb_putc(&b, (char)*q);
    }
  }
  sb_puts(&b, "\"\n");
  queue_raw(b.p, b.len);
  free(b.p);
}

/* "WORD TOKEN(encoded)" style helper for texts with spaces. */
static void send2(const char *head, const char *text) {
  sbuf b = {0};
  sb_puts(&b, head);
  sb_putc(&b, ' ');
  sb_tok(&b, text);
  send_payload(b.p);
  free(b.p);
}

/* Send a descriptor back to the daemon (it arrives as a raw handle). */
static void send_handle(const char *type, const char *payload, int fd) {
  int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (d < 0) {
    send2("error", "dup failed");
    return;
  }
  sbuf b = {0};
  sb_puts(&b, "{\"cmd\":\"NODE_HANDLE\",\"type\":\"");
  sb_puts(&b, type);
  sb_puts(&b, "\",\"msg\":\"");
  sb_puts(&b, payload); /* token characters only */
  sb_puts(&b, "\"}\n");
  outmsg *m = new_msg(b.p, b.len, d);
  free(b.p);
  if (hq_tail) hq_tail->next = m; else hq_head = m;
  hq_tail = m;
}

static void pump_handles(void) {
  if (handle_in_flight || !hq_head) return;
  outmsg *m = hq_head;
  hq_head = m->next;
  if (!hq_head) hq_tail = NULL;
  /* keep a copy for a possible NACK */
  free_msg(handle_sent);
  handle_sent = new_msg(m->data, m->len, fcntl(m->fd, F_DUPFD_CLOEXEC, 3));
  out_append(m);
  handle_in_flight = 1;
}

static void flush_out(void) {
  while (out_head) {
    outmsg *m = out_head;
    ssize_t n;
    if (m->fd >= 0 && m->off == 0) {
      struct msghdr mh;
      struct iovec iov = {m->data, m->len};
      union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
      } cm;
      memset(&mh, 0, sizeof mh);
      memset(&cm, 0, sizeof cm);
      mh.msg_iov = &iov;
      mh.msg_iovlen = 1;
      mh.msg_control = cm.buf;
      mh.msg_controllen = sizeof cm.buf;
      struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &m->fd, sizeof(int));
      n = sendmsg(ipc_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        close(m->fd);
        m->fd = -1;
      }
    } else {
      n = send(ipc_fd, m->data + m->off, m->len - m->off, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      /* EPIPE etc.: the daemon is gone. */
      exit(0);
    }
    m->off += (size_t)n;
    if (m->off < m->len) continue;
    out_head = m->next;
    if (!out_head) out_tail = NULL;
    out_bytes -= m->len;
    free_msg(m);
  }
}

/* ------------------------------------------------------------ JSON input */

typedef struct {
  const char *s, *e;
} jcur;

static void jws(jcur *c) {
  while (c->s < c->e && (*c->s == ' ' || *c->s == '\t' || *c->s == '\r' || *c->s == '\n')) c->s++;
}

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
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

typedef struct {
  int is_string;       /* the whole line was a JSON string (a plain message) */
  sbuf cmd, type, msg, key;
  int has_cmd, has_msg, has_key, msg_is_string;
} jline;

static void jline_free(jline *j) {
  free(j->cmd.p);
  free(j->type.p);
  free(j->msg.p);
  free(j->key.p);
}

static int parse_line(const char *s, size_t n, jline *j) {
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

/* ------------------------------------------------------------ tokens */

typedef struct {
  char **v;
  size_t *len; /* decoded length (tokens may not contain NUL for our use) */
  int n;
  int has_nul;
} toks;

static void toks_free(toks *t) {
  for (int i = 0; i < t->n; i++) free(t->v[i]);
  free(t->v);
  free(t->len);
}

static void tokenize(const char *s, toks *t) {
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

/* ------------------------------------------------------------ plans */

enum { RL_AS, RL_CPU, RL_DATA, RL_RSS, RL_STACK, RL_NOFILE, RL_N };
static const char *const rl_names[RL_N] = {"as", "cpu", "data", "rss", "stack", "nofile"};
static const int rl_res[RL_N] = {RLIMIT_AS, RLIMIT_CPU, RLIMIT_DATA, RLIMIT_RSS, RLIMIT_STACK,
                                 RLIMIT_NOFILE};

typedef struct {
  const char *path;
  char **argv; int argc;
  char **envp; int envc;
  int has_uid; uid_t uid;
  int has_gid; gid_t gid;
  const char *initgroups_name;
  int has_groups; gid_t *groups; int ngroups;
  int has_umask; mode_t umask_v;
  int has_nice; int nice_v;
  unsigned long long rl[RL_N];
} plan;

static void plan_free(plan *p) {
  free(p->argv);
  free(p->envp);
  free(p->groups);
}

/* A plan registered once (`plan KEY TOKENS...`) and used by `plan=KEY` in later starts, so a
 * start only carries what changes per connection. It owns the tokens its strings point into. */
typedef struct stored_plan {
  char *key;
  toks t;
  plan p;
} stored_plan;

static stored_plan **plans;
static int nplans, capplans;

static stored_plan *find_plan(const char *key) {
  for (int i = nplans - 1; i >= 0; i--)
    if (!strcmp(plans[i]->key, key)) return plans[i];
  return NULL;
}

static int parse_num(const char *s, unsigned long long *v, int base) {
  if (!*s) return -1;
  char *end;
  errno = 0;
  unsigned long long x = strtoull(s, &end, base);
  if (errno || *end) return -1;
  *v = x;
  return 0;
}

/* Tokens from index `from` are key=value plan items; a first `plan=KEY` starts from a
 * registered plan (later arg=/env= tokens are appended to it, other keys override it). */
static int parse_plan(toks *t, int from, plan *p, const char **why) {
  memset(p, 0, sizeof *p);
  const stored_plan *base = NULL;
  int unknown = 0;
  if (from < t->n && !strncmp(t->v[from], "plan=", 5)) {
    base = find_plan(t->v[from] + 5);
    unknown = !base;
    from++;
  }
  int room = t->n + 1 + (base ? base->p.argc + base->p.envc : 0);
  p->argv = xmalloc(sizeof(char *) * (size_t)room);
  p->envp = xmalloc(sizeof(char *) * (size_t)room);
  if (unknown) {
    *why = "unknown plan";
    return -1;
  }
  if (base) {
    const plan *b = &base->p;
    char **argv = p->argv, **envp = p->envp;
    *p = *b;
    p->argv = argv;
    p->envp = envp;
    memcpy(p->argv, b->argv, sizeof(char *) * (size_t)b->argc);
    memcpy(p->envp, b->envp, sizeof(char *) * (size_t)b->envc);
    p->groups = NULL;
    if (b->ngroups) {
      p->groups = xmalloc(sizeof(gid_t) * (size_t)b->ngroups);
      memcpy(p->groups, b->groups, sizeof(gid_t) * (size_t)b->ngroups);
    }
  }
  if (t->has_nul) {
    *why = "NUL byte in plan";
    return -1;
  }
  for (int i = from; i < t->n; i++) {
    char *tok = t->v[i];
    char *eq = strchr(tok, '=');
    if (!eq) {
      *why = "bad plan token";
      return -1;
    }
    *eq = 0;
    const char *k = tok, *v = eq + 1;
    unsigned long long n;
    if (!strcmp(k, "path")) p->path = v;
    else if (!strcmp(k, "arg")) p->argv[p->argc++] = (char *)v;
    else if (!strcmp(k, "env")) p->envp[p->envc++] = (char *)v;
    else if (!strcmp(k, "uid")) {
      if (parse_num(v, &n, 10) || n > 0xFFFFFFFEull) goto bad;
      p->has_uid = 1, p->uid = (uid_t)n;
    } else if (!strcmp(k, "gid")) {
      if (parse_num(v, &n, 10) || n > 0xFFFFFFFEull) goto bad;
      p->has_gid = 1, p->gid = (gid_t)n;
    } else if (!strcmp(k, "initgroups")) p->initgroups_name = v;
    else if (!strcmp(k, "groups")) {
      p->has_groups = 1;
      p->ngroups = 0;
      const char *s = v;
      while (*s) {
        char *end;
        errno = 0;
        unsigned long long g = strtoull(s, &end, 10);
        if (errno || end == s || g > 0xFFFFFFFEull) goto bad;
        p->groups = xrealloc(p->groups, sizeof(gid_t) * (size_t)(p->ngroups + 1));
        p->groups[p->ngroups++] = (gid_t)g;
        s = end;
        if (*s == ',') s++;
        else if (*s) goto bad;
      }
    } else if (!strcmp(k, "umask")) {
      if (parse_num(v, &n, 8) || n > 0777) goto bad;
      p->has_umask = 1, p->umask_v = (mode_t)n;
    } else if (!strcmp(k, "nice")) {
      char *end;
      errno = 0;
      long x = strtol(v, &end, 10);
      if (errno || !*v || *end) goto bad;
      p->has_nice = 1, p->nice_v = (int)x;
    } else if (!strcmp(k, "rlimit")) {
      char *colon = strchr(v, ':');
      if (!colon) goto bad;
      *colon = 0;
      int r;
      for (r = 0; r < RL_N; r++)
        if (!strcmp(v, rl_names[r])) break;
      if (r == RL_N) goto bad;
      /* UNLIMITED: RLIM_INFINITY (nonzero, so it is set like any other value) */
      if (!strcmp(colon + 1, "unlimited")) n = (unsigned long long)RLIM_INFINITY;
      else if (parse_num(colon + 1, &n, 10)) goto bad;
      p->rl[r] = n;
    } else {
      continue; /* unknown keys are ignored (forward compatibility) */
    }
    continue;
  bad:
    *why = "bad plan value";
    return -1;
  }
  p->argv[p->argc] = NULL;
  p->envp[p->envc] = NULL;
  if (!p->path || !*p->path) {
    *why = "no path in plan";
    return -1;
  }
  return 0;
}

/* `plan KEY TOKENS...`: parse once and keep (replacing an older plan with that key). */
static void register_plan(const char *key, toks *t, int from) {
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

static void forget_plan(const char *key) {
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

/* ------------------------------------------------------------ children */

enum { ST_EXEC = 1, ST_SETGID, ST_GROUPS, ST_SETUID, ST_DUP, ST_GETPW };
static const char *const stage_names[] = {"", "execve", "setgid", "setgroups", "setuid", "dup2", "getpwuid"};

typedef struct {
  int stage, err;
} report;

struct watched;

typedef struct child {
  pid_t pid;
  char *id;
  int report_fd;   /* read end of the exec report pipe, -1 once read */
  report rep;
  int have_rep;
  struct watched *w; /* the wait = yes socket it serves, or NULL */
} child;

static child **children;
static int nchildren, capchildren;

typedef struct watched {
  char *sid;
  int fd;
  int dgram;
  enum { W_WATCH, W_READY, W_RUNNING, W_IDLE } state;
} watched;

static watched **wlist;
static int nw, capw;

static watched *find_w(const char *sid) {
  for (int i = 0; i < nw; i++)
    if (!strcmp(wlist[i]->sid, sid)) return wlist[i];
  return NULL;
}

static child *find_child(pid_t pid) {
  for (int i = 0; i < nchildren; i++)
    if (children[i]->pid == pid) return children[i];
  return NULL;
}

static void child_report_read(child *c) {
  if (c->report_fd < 0) return;
  report r;
  ssize_t n;
  do n = read(c->report_fd, &r, sizeof r);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return; /* not yet */
  if (n == (ssize_t)sizeof r) {
    c->rep = r;
    c->have_rep = 1;
  }
  close(c->report_fd);
  c->report_fd = -1;
}

/* Signals whose disposition is not SIG_DFL in the launcher (found once at start): the only
 * ones a child has to reset, since execve() resets caught signals itself. */
static int nondefault_sigs[NSIG];
static int n_nondefault_sigs;

static void find_nondefault_signals(void) {
  n_nondefault_sigs = 0;
  for (int s = 1; s < NSIG; s++) {
    struct sigaction sa;
    if (s == SIGKILL || s == SIGSTOP || sigaction(s, NULL, &sa) < 0) continue;
    if (sa.sa_handler != SIG_DFL) nondefault_sigs[n_nondefault_sigs++] = s;
  }
}

static void reset_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < n_nondefault_sigs; i++) sigaction(nondefault_sigs[i], &sa, NULL);
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
}

static void close_above(int lowest) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, (unsigned)lowest, ~0U, 0) == 0) return;
#endif
  DIR *d = opendir("/proc/self/fd");
  if (d) {
    int dfd = dirfd(d);
    int fds[1024];
    int n;
    /* collect first, then close, so readdir is not disturbed */
    do {
      n = 0;
      struct dirent *e;
      rewinddir(d);
      while ((e = readdir(d)) && n < 1024) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        if (fd >= lowest && fd != dfd) fds[n++] = fd;
      }
      for (int i = 0; i < n; i++) close(fds[i]);
    } while (n == 1024);
    closedir(d);
    return;
  }
  struct rlimit rl;
  long max = (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) ? (long)rl.rlim_cur : 65536;
  for (long fd = lowest; fd < max; fd++) close((int)fd);
}

/* Where a vfork'ed child reports a failure: it shares our memory until it execs or exits. */
static volatile report vfork_report;

/* rfd < 0: a vfork'ed child, which reports through vfork_report instead of a pipe. */
static void child_fail(int rfd, int stage, int err, int status) {
  report r = {stage, err};
  if (rfd < 0) {
    vfork_report.stage = stage;
    vfork_report.err = err;
    _exit(status);
  }
  ssize_t n;
  do n = write(rfd, &r, sizeof r);
  while (n < 0 && errno == EINTR);
  _exit(status);
}

/* As xinetd: a connection from an IPv4 client on a dual-stack socket becomes an AF_INET socket
 * (IPV6_ADDRFORM), so the server's getpeername()/getsockname() show a.b.c.d, not ::ffff:a.b.c.d.
 * Sockets without a peer (wait = yes: listening, unconnected UDP) are left alone. On failure (the
 * client is already gone) the server sees the mapped form. */
static void ipv4_form(int fd) {
  struct sockaddr_storage peer;
  socklen_t len = sizeof peer;
  if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0 || peer.ss_family != AF_INET6) return;
  if (!IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&peer)->sin6_addr)) return;
  int af = AF_INET;
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADDRFORM, &af, sizeof af) < 0) { /* ignored */ }
}

/* In the child: set up and exec; never returns. rfd is the report pipe (fork) or -1 (vfork). */
static void child_exec(int sockfd, int rfd, const plan *p) {
  reset_signals();
  setsid();
  if (rfd >= 0 && rfd != 3) {
    /* Move the report pipe to 3 (the socket goes to 0, 1, 2). */
    if (sockfd == 3) {
      int s2 = fcntl(sockfd, F_DUPFD, 4);
      if (s2 < 0) child_fail(rfd, ST_DUP, errno, 1);
      sockfd = s2;
    }
    if (dup3(rfd, 3, O_CLOEXEC) < 0) _exit(1);
    rfd = 3;
  }
  for (int i = 0; i < 3; i++)
    if (sockfd != i && dup2(sockfd, i) < 0) child_fail(rfd, ST_DUP, errno, 1);
  close_above(rfd >= 0 ? 4 : 3);
  ipv4_form(0);
  /* xinetd hands servers a blocking socket. */
  set_nonblock(0, 0);
  if (chdir("/") < 0) { /* ignore */ }

  if (p->has_gid && setgid(p->gid) < 0) child_fail(rfd, ST_SETGID, errno, 1);
  if (p->initgroups_name) {
    /* As xinetd: the user's own passwd gid joins the supplementary groups, whatever `group` is;
     * a user without a passwd entry (a bare uid) cannot have them: the server is not started. */
    errno = 0;
    struct passwd *pw = getpwnam(p->initgroups_name);
    if (!pw) child_fail(rfd, ST_GETPW, errno, 1);
    if (initgroups(p->initgroups_name, pw->pw_gid) < 0) child_fail(rfd, ST_GROUPS, errno, 1);
  } else if (p->has_groups) {
    if (setgroups((size_t)p->ngroups, p->groups) < 0) child_fail(rfd, ST_GROUPS, errno, 1);
  }
  if (p->has_uid && setuid(p->uid) < 0) child_fail(rfd, ST_SETUID, errno, 1);
  if (p->has_umask) umask(p->umask_v);
  if (p->has_nice && p->nice_v) {
    errno = 0;
    if (nice(p->nice_v) == -1 && errno) { /* failure ignored, as xinetd does */ }
  }
  for (int r = 0; r < RL_N; r++) {
    if (!p->rl[r]) continue;
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = (rlim_t)p->rl[r];
    if (setrlimit(rl_res[r], &rl) < 0) { /* ignored */ }
  }
  execve(p->path, p->argv, p->envp);
  /* xinetd reports an exec failure with exit status 0 */
  child_fail(rfd, ST_EXEC, errno, 0);
}

/* ---- the vfork fast path: clone(CLONE_VM | CLONE_VFORK) on a stack of our own ----
 * The child borrows our memory until execve() or _exit(), and we are suspended meanwhile,
 * so there is no page-table copy and the outcome is known when clone() returns. It only
 * makes system calls (no malloc, no NSS), except initgroups(), which reads the group
 * database: those plans take the fork() path. */
#define VFORK_STACK (256 * 1024)
static char *vfork_stack;

struct vfork_args {
  int sockfd;
  const plan *p;
};

static int vfork_child(void *arg) {
  const struct vfork_args *a = arg;
  child_exec(a->sockfd, -1, a->p);
  return 1; /* not reached */
}

static child *add_child(pid_t pid, const char *id, int report_fd, watched *w) {
  child *c = xmalloc(sizeof *c);
  memset(c, 0, sizeof *c);
  c->pid = pid;
  c->id = xstrdup(id);
  c->report_fd = report_fd;
  c->w = w;
  if (nchildren == capchildren) {
    capchildren = capchildren ? capchildren * 2 : 64;
    children = xrealloc(children, sizeof(child *) * (size_t)capchildren);
  }
  children[nchildren++] = c;
  return c;
}

static pid_t start_server_vfork(const char *id, int sockfd, const plan *p, watched *w) {
  if (!vfork_stack) {
    vfork_stack = xmalloc(VFORK_STACK);
  }
  struct vfork_args a = {sockfd, p};
  vfork_report.stage = 0;
  vfork_report.err = 0;
  /* the stack grows down on every architecture Linux/glibc supports here */
  pid_t pid = clone(vfork_child, vfork_stack + VFORK_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
  if (pid < 0) return -1;
  child *c = add_child(pid, id, -1, w);
  if (vfork_report.stage) {
    c->rep.stage = vfork_report.stage;
    c->rep.err = vfork_report.err;
    c->have_rep = 1;
  }
  return pid;
}

/* Fork a server with sockfd as 0, 1, 2. Returns the pid or -1 (errno set). */
static pid_t start_server(const char *id, int sockfd, const plan *p, watched *w) {
  if (!p->initgroups_name) return start_server_vfork(id, sockfd, p, w);
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(pfd[0]);
    close(pfd[1]);
    errno = e;
    return -1;
  }
  if (pid == 0) {
    close(pfd[0]);
    child_exec(sockfd, pfd[1], p);
  }
  close(pfd[1]);
  set_nonblock(pfd[0], 1);
  add_child(pid, id, pfd[0], w);
  return pid;
}

static void watch_resume(watched *w) {
  set_nonblock(w->fd, 1);
  w->state = W_WATCH;
}

/*
 * Discard the datagrams still queued on a wait = yes dgram socket whose server ended or could
 * not start, as xinetd does (svc_postmortem / svc_request → drain): a datagram the server did
 * not read would start the next server, and that one the next, for ever. Called before the
 * daemon hears of the end, so a datagram sent after the EXIT record is never discarded. A flood
 * cannot hold the launcher: at most DRAIN_MAX per end, the rest is served as usual.
 */
#define DRAIN_MAX 4096
static void drain_dgram(watched *w) {
  if (!w->dgram) return;
  for (int i = 0; i < DRAIN_MAX; i++) {
    char b;
    /* other errors (a pending ICMP error) are cleared by being read: go on */
    if (recv(w->fd, &b, 1, MSG_DONTWAIT | MSG_TRUNC) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  }
}

static void reap(void) {
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) {
      if (pid < 0 && errno == EINTR) continue;
      return;
    }
    int idx = -1;
    for (int i = 0; i < nchildren; i++)
      if (children[i]->pid == pid) idx = i;
    if (idx < 0) continue;
    child *c = children[idx];
    if (c->w && c->w->state == W_RUNNING) drain_dgram(c->w);
    child_report_read(c);
    if (c->report_fd >= 0) { /* still EAGAIN: cannot really happen */
      close(c->report_fd);
      c->report_fd = -1;
    }
    if (c->have_rep) {
      sbuf b = {0};
      if (c->rep.stage == ST_EXEC) {
        sb_puts(&b, "execfail ");
        sb_tok(&b, c->id);
        sb_putc(&b, ' ');
        sb_tok(&b, strerror(c->rep.err));
      } else {
        sb_puts(&b, "setupfail ");
        sb_tok(&b, c->id);
        sb_putc(&b, ' ');
        char t[256];
        int s = c->rep.stage;
        snprintf(t, sizeof t, "%s: %s", (s > 0 && s <= ST_GETPW) ? stage_names[s] : "setup",
                 strerror(c->rep.err));
        sb_tok(&b, t);
      }
      /* the number too: xinetd's messages end in `(errno = N)` */
      char en[16];
      snprintf(en, sizeof en, " %d", c->rep.err);
      sb_puts(&b, en);
      send_payload(b.p);
      free(b.p);
    }
    sbuf b = {0};
    char t[96];
    sb_puts(&b, "exit ");
    sb_tok(&b, c->id);
    if (WIFSIGNALED(st)) snprintf(t, sizeof t, " %d signal %d", (int)pid, WTERMSIG(st));
    else snprintf(t, sizeof t, " %d status %d", (int)pid, WEXITSTATUS(st));
    sb_puts(&b, t);
    send_payload(b.p);
    free(b.p);
    if (c->w && c->w->state == W_RUNNING) watch_resume(c->w);
    children[idx] = children[--nchildren];
    free(c->id);
    free(c);
  }
}

/* ------------------------------------------------------------ commands */

static int fdq[MAX_FDQ];
static int nfdq;

static int fdq_pop(void) {
  if (!nfdq) return -1;
  int fd = fdq[0];
  memmove(fdq, fdq + 1, sizeof(int) * (size_t)(nfdq - 1));
  nfdq--;
  return fd;
}

static void reply_fail(const char *id, const char *text) {
  sbuf b = {0};
  sb_puts(&b, "failed ");
  sb_tok(&b, id);
  sb_putc(&b, ' ');
  sb_tok(&b, text);
  send_payload(b.p);
  free(b.p);
}

static void do_start(const char *id, int sockfd, toks *t, int from, watched *w) {
  plan p;
  const char *why = NULL;
  if (parse_plan(t, from, &p, &why) < 0) {
    if (w) drain_dgram(w);
    reply_fail(id, why);
    plan_free(&p);
    if (w) watch_resume(w);
    return;
  }
  pid_t pid = start_server(id, sockfd, &p, w);
  plan_free(&p);
  if (pid < 0) {
    int err = errno;
    if (w) drain_dgram(w);
    reply_fail(id, strerror(err));
    if (w) watch_resume(w);
    return;
  }
  if (w) w->state = W_RUNNING;
  sbuf b = {0};
  char num[32];
  sb_puts(&b, "started ");
  sb_tok(&b, id);
  snprintf(num, sizeof num, " %d", (int)pid);
  sb_puts(&b, num);
  send_payload(b.p);
  free(b.p);
}

static void handle_command(const char *payload, int fd) {
  toks t;
  tokenize(payload, &t);
  const char *c = t.n ? t.v[0] : "";
  if (!strcmp(c, "spawn") && t.n >= 2) {
    if (fd < 0) reply_fail(t.v[1], "no descriptor received");
    else do_start(t.v[1], fd, &t, 2, NULL);
  } else if (!strcmp(c, "adopt") && t.n >= 3) {
    if (fd < 0 || find_w(t.v[1])) {
      send2("error", fd < 0 ? "adopt without descriptor" : "adopt of a known id");
    } else {
      int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
      if (d < 0) {
        send2("error", "dup failed");
      } else {
        watched *w = xmalloc(sizeof *w);
        w->sid = xstrdup(t.v[1]);
        w->fd = d;
        w->dgram = !strcmp(t.v[2], "dgram");
        w->state = (t.n >= 4 && !strcmp(t.v[3], "idle")) ? W_IDLE : W_WATCH;
        if (w->state == W_WATCH) set_nonblock(d, 1);
        if (nw == capw) {
          capw = capw ? capw * 2 : 16;
          wlist = xrealloc(wlist, sizeof(watched *) * (size_t)capw);
        }
        wlist[nw++] = w;
        sbuf b = {0};
        sb_puts(&b, "keep ");
        sb_tok(&b, w->sid);
        send_handle(w->dgram ? "dgram.Native" : "net.Native", b.p, d);
        b.len = 0;
        sb_puts(&b, "adopted ");
        sb_tok(&b, w->sid);
        send_payload(b.p);
        free(b.p);
      }
    }
  } else if (!strcmp(c, "launch") && t.n >= 3) {
    watched *w = find_w(t.v[1]);
    if (!w) reply_fail(t.v[2], "unknown socket");
    else if (w->state != W_READY) reply_fail(t.v[2], "socket busy");
    else do_start(t.v[2], w->fd, &t, 3, w);
  } else if (!strcmp(c, "refuse") && t.n >= 2) {
    watched *w = find_w(t.v[1]);
    if (w && w->state == W_READY) {
      if (w->dgram) {
        char b;
        (void)!recv(w->fd, &b, 1, MSG_DONTWAIT | MSG_TRUNC);
      } else {
        int a = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (a >= 0) close(a);
      }
      w->state = W_WATCH;
    }
  } else if (!strcmp(c, "resume") && t.n >= 2) {
    watched *w = find_w(t.v[1]);
    if (w && w->state == W_IDLE) watch_resume(w);
  } else if (!strcmp(c, "release") && t.n >= 2) {
    for (int i = 0; i < nw; i++) {
      watched *w = wlist[i];
      if (strcmp(w->sid, t.v[1])) continue;
      for (int k = 0; k < nchildren; k++)
        if (children[k]->w == w) children[k]->w = NULL;
      close(w->fd);
      free(w->sid);
      free(w);
      wlist[i] = wlist[--nw];
      break;
    }
    sbuf b = {0};
    sb_puts(&b, "released ");
    sb_tok(&b, t.v[1]);
    send_payload(b.p);
    free(b.p);
  } else if (!strcmp(c, "kill") && t.n >= 3) {
    long pid = strtol(t.v[1], NULL, 10);
    int sig = (int)strtol(t.v[2], NULL, 10);
    if (pid > 0 && find_child((pid_t)pid)) kill((pid_t)pid, sig);
  } else if (!strcmp(c, "plan") && t.n >= 2) {
    char *key = xstrdup(t.v[1]);
    register_plan(key, &t, 2);
    free(key);
  } else if (!strcmp(c, "forget") && t.n >= 2) {
    forget_plan(t.v[1]);
  } else if (!strcmp(c, "ping")) {
    sbuf b = {0};
    sb_puts(&b, "pong");
    if (t.n >= 2) {
      sb_putc(&b, ' ');
      sb_tok(&b, t.v[1]);
    }
    send_payload(b.p);
    free(b.p);
  } else if (t.n) {
    send2("error", "unknown command");
  }
  toks_free(&t);
}

static void handle_line(const char *s, size_t n) {
  jline j;
  if (parse_line(s, n, &j) < 0) {
    jline_free(&j);
    send2("error", "malformed message");
    return;
  }
  if (j.is_string) {
    handle_command(j.msg.p, -1);
  } else if (j.has_cmd && !strcmp(j.cmd.p, "NODE_HANDLE")) {
    int fd = fdq_pop();
    if (fd < 0) {
      /* the descriptor was lost (MSG_CTRUNC?): ask Node to send it again */
      queue_raw_str("{\"cmd\":\"NODE_HANDLE_NACK\"}\n");
    } else {
      /* ACK before the work: Node holds back every later message until it has the ACK,
       * so answering first lets the next request travel while this server starts. */
      queue_raw_str("{\"cmd\":\"NODE_HANDLE_ACK\"}\n");
      flush_out();
      if (j.has_msg && j.msg_is_string) handle_command(j.msg.p, fd);
      close(fd);
    }
  } else if (j.has_cmd && !strcmp(j.cmd.p, "NODE_HANDLE_ACK")) {
    handle_in_flight = 0;
    free_msg(handle_sent);
    handle_sent = NULL;
    pump_handles();
  } else if (j.has_cmd && !strcmp(j.cmd.p, "NODE_HANDLE_NACK")) {
    if (handle_sent && handle_sent->fd >= 0) {
      outmsg *m = new_msg(handle_sent->data, handle_sent->len,
                          fcntl(handle_sent->fd, F_DUPFD_CLOEXEC, 3));
      out_append(m);
    }
  } else if (j.has_cmd && (!strcmp(j.cmd.p, "NODE_SOCKET_NOTIFY_CLOSE") ||
                           !strcmp(j.cmd.p, "NODE_SOCKET_GET_COUNT"))) {
    /* net.Server bookkeeping for sockets sent away: we hold none of them. */
    sbuf b = {0};
    int count = !strcmp(j.cmd.p, "NODE_SOCKET_GET_COUNT");
    sb_puts(&b, count ? "{\"cmd\":\"NODE_SOCKET_COUNT\",\"key\":\"" : "{\"cmd\":\"NODE_SOCKET_ALL_CLOSED\",\"key\":\"");
    for (size_t i = 0; i < j.key.len; i++) {
      unsigned char ch = (unsigned char)j.key.p[i];
      if (ch == '"' || ch == '\\') {
        sb_putc(&b, '\\');
        sb_putc(&b, (char)ch);
      } else if (ch < 0x20) {
        char e[8];
        snprintf(e, sizeof e, "\\u%04x", ch);
        sb_puts(&b, e);
      } else {
        sb_putc(&b, (char)ch);
      }
    }
    sb_puts(&b, count ? "\",\"count\":0}\n" : "\"}\n");
    queue_raw(b.p, b.len);
    free(b.p);
  }
  /* anything else (other NODE_* or non-string messages) is ignored */
  jline_free(&j);
}

/* ------------------------------------------------------------ input */

static char *inbuf;
static size_t inlen;
static int discarding; /* skipping the rest of an oversized line */
static int discard_handle;

/* One recvmsg() on a unix socket: the bytes into buf, the descriptors passed with them
 * (SCM_RIGHTS, close-on-exec) into fds; those beyond maxfds are closed. Returns recvmsg()'s
 * result; *truncated says the datagram did not fit (SOCK_SEQPACKET). */
static ssize_t recv_with_fds(int sock, char *buf, size_t len, int *fds, int maxfds, int *nfds, int *truncated) {
  char cbuf[CMSG_SPACE(sizeof(int) * MAX_FDQ)];
  struct iovec iov = {buf, len};
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = cbuf;
  mh.msg_controllen = sizeof cbuf;
  *nfds = 0;
  ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n < 0) return n;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + sizeof(int) * (size_t)i, sizeof fd);
      if (*nfds < maxfds) fds[(*nfds)++] = fd;
      else close(fd);
    }
  }
  *truncated = (mh.msg_flags & MSG_TRUNC) != 0;
  return n;
}

static void read_ipc(void) {
  for (;;) {
    if (inlen == MAX_LINE) {
      /* oversized line: drop it, but keep the handle protocol in step */
      discarding = 1;
      discard_handle = inlen >= 20 && !memcmp(inbuf, "{\"cmd\":\"NODE_HANDLE\"", 20);
      inlen = 0;
    }
    int got[MAX_FDQ], ngot = 0, truncated = 0;
    ssize_t n = recv_with_fds(ipc_fd, inbuf + inlen, MAX_LINE - inlen, got, MAX_FDQ - nfdq, &ngot, &truncated);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      exit(0);
    }
    if (n == 0) exit(0); /* the daemon closed the channel: servers keep running */
    for (int i = 0; i < ngot; i++) fdq[nfdq++] = got[i];
    size_t start = 0, old = inlen;
    inlen += (size_t)n;
    for (size_t i = old; i < inlen; i++) {
      if (inbuf[i] != '\n') continue;
      if (discarding) {
        discarding = 0;
        send2("error", "message too long, dropped");
        if (discard_handle) {
          int fd = fdq_pop();
          if (fd >= 0) close(fd);
          queue_raw_str("{\"cmd\":\"NODE_HANDLE_ACK\"}\n");
        }
      } else {
        handle_line(inbuf + start, i - start);
      }
      start = i + 1;
    }
    if (start) {
      memmove(inbuf, inbuf + start, inlen - start);
      inlen -= start;
    }
    if (discarding && inlen) inlen = 0; /* still inside the dropped line */
  }
}

/* ------------------------------------------------- descriptor channel */

static int channel_fd = -1;

/* Up to 64 packets per wakeup, so the IPC channel and the children are served too. */
static void read_channel(void) {
  static char *packet;
  if (!packet) packet = xmalloc(MAX_PACKET + 1);
  for (int k = 0; k < 64; k++) {
    int fds[1], nfds = 0, truncated = 0;
    ssize_t n = recv_with_fds(channel_fd, packet, MAX_PACKET, fds, 1, &nfds, &truncated); /* one per command */
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      n = 0;
    }
    if (n == 0) { /* the daemon's end is gone; the IPC channel decides what happens next */
      close(channel_fd);
      channel_fd = -1;
      return;
    }
    int fd = nfds ? fds[0] : -1;
    if (truncated) {
      if (fd >= 0) close(fd);
      send2("error", "descriptor channel: command too long, dropped");
      continue;
    }
    packet[n] = 0;
    handle_command(packet, fd);
    if (fd >= 0) close(fd); /* the server has its own copy */
  }
}

/* ------------------------------------------------------------ main */

static void check_watched(watched *w) {
  if (w->dgram) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char b;
    ssize_t n = recvfrom(w->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
    if (n < 0) return; /* EAGAIN, or a pending ICMP error that is now cleared */
    char addr[INET6_ADDRSTRLEN] = "-";
    int port = 0;
    const char *fam = "0";
    if (ss.ss_family == AF_INET) {
      struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
      inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof addr);
      port = ntohs(s4->sin_port);
      fam = "IPv4";
    } else if (ss.ss_family == AF_INET6) {
      struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
      inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof addr);
      port = ntohs(s6->sin6_port);
      fam = "IPv6";
    }
    sbuf s = {0};
    char t[64];
    sb_puts(&s, "ready ");
    sb_tok(&s, w->sid);
    sb_putc(&s, ' ');
    sb_tok(&s, addr);
    snprintf(t, sizeof t, " %d %s", port, fam);
    sb_puts(&s, t);
    send_payload(s.p);
    free(s.p);
  } else {
    /* confirm a connection is really pending (no spurious "ready") */
    struct pollfd q = {w->fd, POLLIN, 0};
    if (poll(&q, 1, 0) != 1 || !(q.revents & POLLIN)) return;
    sbuf s = {0};
    sb_puts(&s, "ready ");
    sb_tok(&s, w->sid);
    sb_puts(&s, " - 0 0");
    send_payload(s.p);
    free(s.p);
  }
  w->state = W_READY;
}

int main(void) {
  const char *e = getenv("NODE_CHANNEL_FD");
  if (!e || !*e) {
    fprintf(stderr, "xinetd-ts-launcher: must be started by xinetd-ts (NODE_CHANNEL_FD unset)\n");
    return 2;
  }
  ipc_fd = atoi(e);
  if (fcntl(ipc_fd, F_GETFD) < 0) die("NODE_CHANNEL_FD");
  set_cloexec(ipc_fd);
  set_nonblock(ipc_fd, 1);
  /* 0, 1 and 2 are the daemon's choice; keep them off the servers anyway */
  for (int i = 0; i < 3; i++) set_cloexec(i);
  const char *ch = getenv("XINETD_TS_FD_CHANNEL");
  if (ch && *ch) {
    channel_fd = atoi(ch);
    if (channel_fd <= 2 || channel_fd == ipc_fd || fcntl(channel_fd, F_GETFD) < 0) channel_fd = -1;
    else {
      set_cloexec(channel_fd);
      set_nonblock(channel_fd, 1);
    }
  }
  /* any other inherited descriptor is closed */
  for (int fd = 3; fd < 1024; fd++)
    if (fd != ipc_fd && fd != channel_fd) close(fd);

  /* servers inherit RLIMIT_NOFILE soft = hard (xinetd behaviour) */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, SIG_IGN);  /* a terminal ^C is for the daemon to decide */
  signal(SIGQUIT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGUSR1, SIG_IGN);
  signal(SIGUSR2, SIG_IGN);
  find_nondefault_signals();
  sigset_t ss;
  sigemptyset(&ss);
  sigaddset(&ss, SIGCHLD);
  sigprocmask(SIG_BLOCK, &ss, NULL);
  int sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die("signalfd");

  inbuf = xmalloc(MAX_LINE);
  struct pollfd *pfd = NULL;
  void **what = NULL;
  int cap = 0;

  for (;;) {
    int need = 3 + nw + nchildren;
    if (need > cap) {
      cap = need * 2;
      pfd = xrealloc(pfd, sizeof *pfd * (size_t)cap);
      what = xrealloc(what, sizeof *what * (size_t)cap);
    }
    int n = 0;
    pfd[n] = (struct pollfd){ipc_fd, POLLIN | (out_head ? POLLOUT : 0), 0};
    what[n++] = NULL;
    pfd[n] = (struct pollfd){sfd, POLLIN, 0};
    what[n++] = NULL;
    int chan = -1;
    if (channel_fd >= 0) {
      chan = n;
      pfd[n] = (struct pollfd){channel_fd, POLLIN, 0};
      what[n++] = NULL;
    }
    int wbase = n;
    for (int i = 0; i < nw; i++) {
      if (wlist[i]->state != W_WATCH) continue;
      pfd[n] = (struct pollfd){wlist[i]->fd, POLLIN, 0};
      what[n++] = wlist[i];
    }
    int cbase = n;
    for (int i = 0; i < nchildren; i++) {
      if (children[i]->report_fd < 0) continue;
      pfd[n] = (struct pollfd){children[i]->report_fd, POLLIN, 0};
      what[n++] = children[i];
    }
    int r = poll(pfd, (nfds_t)n, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) read_ipc();
    if (pfd[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {}
      reap();
    }
    if (chan >= 0 && channel_fd >= 0 && (pfd[chan].revents & (POLLIN | POLLHUP | POLLERR))) read_channel();
    for (int i = cbase; i < n; i++) {
      if (!pfd[i].revents) continue;
      child *c = what[i];
      /* the child may have been reaped (and freed) above */
      int alive = 0;
      for (int k = 0; k < nchildren; k++)
        if (children[k] == c) alive = 1;
      if (alive) child_report_read(c);
    }
    for (int i = wbase; i < cbase; i++) {
      if (!pfd[i].revents) continue;
      watched *w = what[i];
      int alive = 0;
      for (int k = 0; k < nw; k++)
        if (wlist[k] == w) alive = 1;
      if (alive && w->state == W_WATCH) check_watched(w);
    }
    pump_handles();
    flush_out();
  }
}
