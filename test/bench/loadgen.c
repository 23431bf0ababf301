/*
 * loadgen: the benchmark's client. One thread per concurrent client, blocking sockets, every
 * call bounded by a timeout, the whole run bounded by a duration. Loopback/numeric addresses.
 *
 *   loadgen MODE ADDR PORT CLIENTS SECONDS [SIZE]
 *
 * MODE
 *   close  connect, write SIZE bytes (0: none), read until EOF, close   -> conn/s
 *   echo   connect, write SIZE bytes, read SIZE bytes back, close       -> conn/s
 *   read   one connection per client, read for the whole run (chargen)  -> MB/s
 *   write  one connection per client, write for the whole run (discard) -> MB/s
 *   pipe   one connection per client, write and read concurrently (echo)-> MB/s
 *   udp    one socket per client: send SIZE bytes, wait for a reply     -> req/s
 *
 * The first 0.5 s of a run is warm-up and not counted (allOps/allBytes include it, to divide
 * the daemon's CPU time by). Latency is measured per operation (connect to EOF / last byte /
 * reply). Prints one JSON line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 0.5
#define TIMEOUT_MS 3000
#define MAX_CLIENTS 256

typedef enum { CLOSE, ECHO, READ, WRITE, PIPE, UDP } mode_t_;

static mode_t_ mode;
static struct sockaddr_storage target;
static socklen_t target_len;
static int clients, size;
static double seconds, t_measure, t_end;
static atomic_int stopping;

typedef struct {
  pthread_t thread;
  uint32_t *lat; /* microseconds of each counted operation */
  size_t nlat, cap;
  long ops, errors, all_ops; /* all_ops: warm-up included */
  unsigned long long bytes, all_bytes;
  char *buf;
} worker;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void record(worker *w, double started, double ended) {
  w->all_ops++;
  if (started < t_measure || ended > t_end) return;
  if (w->nlat == w->cap) {
    w->cap = w->cap ? w->cap * 2 : 16384;
    w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
    if (!w->lat) abort();
  }
  w->lat[w->nlat++] = (uint32_t)((ended - started) * 1e6);
  w->ops++;
}

static int bounded(int fd) {
  struct timeval tv = {TIMEOUT_MS / 1000, (TIMEOUT_MS % 1000) * 1000};
  return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) | setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int open_stream(void) {
  int fd = socket(target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* RST on close: the client never holds TIME_WAIT ports, so long runs cannot exhaust them */
  struct linger lg = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  if (bounded(fd) < 0 || connect(fd, (struct sockaddr *)&target, target_len) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

/* One short connection; 0 on success. */
static int one_connection(worker *w) {
  int fd = open_stream();
  if (fd < 0) return -1;
  int ok = 0;
  if (size > 0 && send_all(fd, w->buf, (size_t)size) < 0) ok = -1;
  if (!ok && mode == ECHO) {
    int got = 0;
    while (got < size) {
      ssize_t k = recv(fd, w->buf + size, (size_t)(size - got), 0);
      if (k <= 0) { ok = -1; break; }
      got += (int)k;
    }
  } else if (!ok) {
    long total = 0;
    for (;;) {
      ssize_t k = recv(fd, w->buf + size, 65536, 0);
      if (k == 0) break;
      if (k < 0) { ok = -1; break; }
      total += k;
    }
    if (!ok && total == 0) ok = -1; /* an accept-and-close refusal is not a success */
  }
  close(fd);
  return ok;
}

static void *stream_worker(void *arg) {
  worker *w = arg;
  while (!atomic_load(&stopping)) {
    double t0 = now();
    if (t0 >= t_end) break;
    if (one_connection(w) == 0) {
      record(w, t0, now());
    } else {
      if (t0 >= t_measure) w->errors++;
      if (errno == ECONNREFUSED) usleep(10000); /* nobody there: do not spin */
    }
  }
  return NULL;
}

static void *reader(void *arg) {
  worker *w = arg;
  int fd = *(int *)w->buf;
  while (!atomic_load(&stopping) && now() < t_end) {
    ssize_t k = recv(fd, w->buf + 64, 65536, 0);
    if (k <= 0) { w->errors++; break; }
    w->all_bytes += (unsigned long long)k;
    if (now() >= t_measure) w->bytes += (unsigned long long)k;
  }
  return NULL;
}

static void *bulk_worker(void *arg) {
  worker *w = arg;
  int fd = open_stream();
  if (fd < 0) { w->errors++; return NULL; }
  if (mode == READ) {
    memcpy(w->buf, &fd, sizeof fd);
    reader(w);
  } else {
    worker rw = {0};
    pthread_t rt;
    int have_reader = 0;
    if (mode == PIPE) {
      rw.buf = malloc(65536 + 64);
      memcpy(rw.buf, &fd, sizeof fd);
      have_reader = pthread_create(&rt, NULL, reader, &rw) == 0;
    }
    while (!atomic_load(&stopping) && now() < t_end) {
      ssize_t k = send(fd, w->buf + 64, 65536, MSG_NOSIGNAL);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) { w->errors++; break; }
      if (mode == WRITE) w->all_bytes += (unsigned long long)k;
      if (mode == WRITE && now() >= t_measure) w->bytes += (unsigned long long)k;
    }
    shutdown(fd, SHUT_RDWR);
    if (have_reader) {
      pthread_join(rt, NULL);
      w->bytes += rw.bytes;
      w->all_bytes += rw.all_bytes;
      w->errors += rw.errors;
    }
    free(rw.buf);
  }
  close(fd);
  return NULL;
}

static void *udp_worker(void *arg) {
  worker *w = arg;
  int fd = socket(target.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) { w->errors++; return NULL; }
  struct timeval tv = {0, 200 * 1000}; /* a lost datagram costs 200 ms, counted as an error */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&target, target_len) < 0) { w->errors++; close(fd); return NULL; }
  int n = size > 0 ? size : 64;
  while (!atomic_load(&stopping)) {
    double t0 = now();
    if (t0 >= t_end) break;
    if (send(fd, w->buf, (size_t)n, 0) < 0 || recv(fd, w->buf + n, 65536, 0) <= 0) {
      if (t0 >= t_measure) w->errors++;
      if (errno == ECONNREFUSED) usleep(10000); /* nobody there: do not spin */
      continue;
    }
    record(w, t0, now());
  }
  close(fd);
  return NULL;
}

static int cmp32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: loadgen close|echo|read|write|pipe|udp ADDR PORT CLIENTS SECONDS [SIZE]\n");
    return 2;
  }
  const char *m = argv[1];
  mode = !strcmp(m, "close") ? CLOSE : !strcmp(m, "echo") ? ECHO : !strcmp(m, "read") ? READ
       : !strcmp(m, "write") ? WRITE : !strcmp(m, "pipe") ? PIPE : !strcmp(m, "udp") ? UDP : (mode_t_)-1;
  if ((int)mode < 0) { fprintf(stderr, "loadgen: unknown mode %s\n", m); return 2; }
  int port = atoi(argv[3]);
  clients = atoi(argv[4]);
  seconds = atof(argv[5]);
  size = argc > 6 ? atoi(argv[6]) : 0;
  if (port <= 0 || port > 65535 || clients < 1 || clients > MAX_CLIENTS || seconds <= 0 || seconds > 60 || size < 0 || size > 65536) {
    fprintf(stderr, "loadgen: bad arguments\n");
    return 2;
  }
  struct sockaddr_in *s4 = (struct sockaddr_in *)&target;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&target;
  if (inet_pton(AF_INET, argv[2], &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    target_len = sizeof *s4;
  } else if (inet_pton(AF_INET6, argv[2], &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    target_len = sizeof *s6;
  } else {
    fprintf(stderr, "loadgen: numeric address expected\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  double t0 = now();
  t_measure = t0 + WARMUP;
  t_end = t_measure + seconds;
  worker *ws = calloc((size_t)clients, sizeof *ws);
  void *(*body)(void *) = mode == UDP ? udp_worker : (mode == CLOSE || mode == ECHO) ? stream_worker : bulk_worker;
  for (int i = 0; i < clients; i++) {
    ws[i].buf = malloc(2 * 65536 + 128);
    memset(ws[i].buf, 'x', 2 * 65536 + 128);
    if (pthread_create(&ws[i].thread, NULL, body, &ws[i]) != 0) { perror("pthread_create"); return 2; }
  }
  /* every blocking call is bounded by TIMEOUT_MS, so joining is bounded too */
  for (int i = 0; i < clients; i++) pthread_join(ws[i].thread, NULL);
  double elapsed = now() - t_measure;
  if (elapsed > seconds) elapsed = seconds;
  long ops = 0, errors = 0, all_ops = 0;
  unsigned long long bytes = 0, all_bytes = 0;
  size_t nlat = 0;
  for (int i = 0; i < clients; i++) {
    ops += ws[i].ops;
    errors += ws[i].errors;
    bytes += ws[i].bytes;
    all_ops += ws[i].all_ops;
    all_bytes += ws[i].all_bytes;
    nlat += ws[i].nlat;
  }
  uint32_t *all = malloc((nlat ? nlat : 1) * sizeof *all);
  size_t k = 0;
  for (int i = 0; i < clients; i++) {
    memcpy(all + k, ws[i].lat, ws[i].nlat * sizeof *all);
    k += ws[i].nlat;
  }
  qsort(all, nlat, sizeof *all, cmp32);
  double p50 = nlat ? all[nlat / 2] / 1000.0 : 0, p99 = nlat ? all[(nlat * 99) / 100] / 1000.0 : 0;
  double max = nlat ? all[nlat - 1] / 1000.0 : 0;
  /* where a tail starts: p90 and p99.9 beside p50 and p99 */
  double p90 = nlat ? all[(nlat * 90) / 100] / 1000.0 : 0, p999 = nlat ? all[(nlat * 999) / 1000] / 1000.0 : 0;
  printf("{\"mode\":\"%s\",\"clients\":%d,\"seconds\":%.3f,\"ops\":%ld,\"errors\":%ld,\"rate\":%.1f,"
         "\"mbps\":%.2f,\"p50ms\":%.3f,\"p90ms\":%.3f,\"p99ms\":%.3f,\"p999ms\":%.3f,\"maxms\":%.3f,"
         "\"allOps\":%ld,\"allBytes\":%llu}\n",
         m, clients, elapsed, ops, errors, ops / elapsed, bytes / elapsed / 1e6, p50, p90, p99, p999, max, all_ops, all_bytes);
  return 0;
}
