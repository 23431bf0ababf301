/*
 * Node's IPC channel to the daemon (ipc-channel.h). Both directions live here because the handle
 * protocol ties them together: an incoming NODE_HANDLE_ACK releases the next outgoing
 * descriptor, and an incoming handle is acknowledged before its command runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "alloc.h"
#include "byte-string.h"
#include "children.h"
#include "commands.h"
#include "ipc-channel.h"
#include "json-line.h"
#include "tokens.h"

#define MAX_OUT (64 * 1024 * 1024)      /* cap of queued outgoing bytes */
#define MAX_FDQ 16                      /* received descriptors not yet matched */

/* ------------------------------------------------------------ IPC output */

typedef struct outmsg {
  struct outmsg *next;
  char *data;
  size_t len, off;
  int fd; /* >= 0: send with SCM_RIGHTS with the first byte, then close */
} outmsg;

int ipc_fd = -1;
outmsg *out_head;                     /* ready to write, in order */
static outmsg *out_tail;
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
void send_payload(const char *payload) {
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
void send2(const char *head, const char *text) {
  sbuf b = {0};
  sb_puts(&b, head);
  sb_putc(&b, ' ');
  sb_tok(&b, text);
  send_payload(b.p);
  free(b.p);
}

/* Send a descriptor back to the daemon (it arrives as a raw handle). */
void send_handle(const char *type, const char *payload, int fd) {
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

void pump_handles(void) {
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

void flush_out(void) {
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

/* ------------------------------------------------------------ input */

static int fdq[MAX_FDQ];
static int nfdq;

static int fdq_pop(void) {
  if (!nfdq) return -1;
  int fd = fdq[0];
  memmove(fdq, fdq + 1, sizeof(int) * (size_t)(nfdq - 1));
  nfdq--;
  return fd;
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

char *inbuf;
static size_t inlen;
static int discarding; /* skipping the rest of an oversized line */
static int discard_handle;

/* One recvmsg() on a unix socket: the bytes into buf, the descriptors passed with them
 * (SCM_RIGHTS, close-on-exec) into fds; those beyond maxfds are closed. Returns recvmsg()'s
 * result; *truncated says the datagram did not fit (SOCK_SEQPACKET). */
ssize_t recv_with_fds(int sock, char *buf, size_t len, int *fds, int maxfds, int *nfds, int *truncated) {
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

void read_ipc(void) {
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
        report_progress();
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
