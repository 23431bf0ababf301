/* Watched (wait = yes) sockets (watched.h): the list of them, check_watched (is something
 * really waiting? then `ready`) and drain_dgram. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "byte-string.h"
#include "ipc-channel.h"
#include "tokens.h"
#include "watched.h"

watched **wlist;
int nw, capw;

int watched_is_live(const watched *w) {
  for (int i = 0; i < nw; i++)
    if (wlist[i] == w) return 1;
  return 0;
}

watched *find_w(const char *sid) {
  for (int i = 0; i < nw; i++)
    if (!strcmp(wlist[i]->sid, sid)) return wlist[i];
  return NULL;
}

/*
 * Discard the datagrams still queued on a wait = yes dgram socket whose server ended or could
 * not start, as xinetd does (svc_postmortem / svc_request → drain): a datagram the server did
 * not read would start the next server, and that one the next, for ever. Called before the
 * daemon hears of the end, so a datagram sent after the EXIT record is never discarded. A flood
 * cannot hold the launcher: at most DRAIN_MAX per end, the rest is served as usual.
 */
#define DRAIN_MAX 4096
void drain_dgram(watched *w) {
  if (!w->dgram) return;
  for (int i = 0; i < DRAIN_MAX; i++) {
    char b;
    /* other errors (a pending ICMP error) are cleared by being read: go on */
    if (recv(w->fd, &b, 1, MSG_DONTWAIT | MSG_TRUNC) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  }
}

void check_watched(watched *w) {
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
