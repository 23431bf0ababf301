/*
 * xinetd-ts-syslog-relay: forwards syslog messages from the daemon to a local
 * unix syslog socket (/dev/log), which Node.js cannot reach itself (it has no
 * unix datagram sockets).
 *
 *   xinetd-ts-syslog-relay SOCKET_PATH
 *
 * stdin:  one complete syslog message per line ("<PRI>Mmm dd hh:mm:ss tag[pid]: text").
 * stdout: state changes, one per line, for the daemon to report once each:
 *           "down REASON"  the socket cannot be reached (messages are queued)
 *           "stalled"      the reader is too slow: the queue is full, oldest messages dropped
 *           "up N"         messages flow again; N were dropped meanwhile
 *
 * Never blocks on the socket (non-blocking sends, poll), bounds its queue
 * (MAX_QUEUED messages, MAX_QUEUED_BYTES bytes: the oldest are dropped), and
 * retries a dead socket every RETRY_MS. Exits when stdin closes, after at most
 * EXIT_FLUSH_MS spent delivering what is still queued. SOCK_DGRAM is tried first
 * and SOCK_STREAM when the socket is a stream one (messages then end in NUL, as
 * glibc's syslog(3) sends them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_MESSAGE 8192
#define MAX_QUEUED 2048
#define MAX_QUEUED_BYTES (2 * 1024 * 1024)
#define RETRY_MS 1000
#define EXIT_FLUSH_MS 1000

struct message {
  size_t len;
  char *text;
};

static struct message queue[MAX_QUEUED];
static size_t head, count, queued_bytes, sent_offset;
static unsigned long dropped;
static const char *path;
static int sock = -1, sock_stream;
static enum { UNKNOWN, UP, DOWN, STALLED } state = UNKNOWN;
static long long retry_at;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void report(const char *line) {
  /* stdout is a pipe read by the daemon; a failed report is not worth dying for */
  ssize_t n = write(STDOUT_FILENO, line, strlen(line));
  (void)n;
}

static void drop_oldest(void) {
  struct message *m = &queue[head];
  queued_bytes -= m->len;
  free(m->text);
  m->text = NULL;
  head = (head + 1) % MAX_QUEUED;
  count--;
  sent_offset = 0;
}

static void enqueue(const char *text, size_t len) {
  if (len > MAX_MESSAGE) len = MAX_MESSAGE;
  while (count > 0 && (count == MAX_QUEUED || queued_bytes + len > MAX_QUEUED_BYTES)) {
    drop_oldest();
    dropped++;
    if (state == UP || state == UNKNOWN) {
      state = STALLED;
      report("stalled\n");
    }
  }
  char *copy = malloc(len ? len : 1);
  if (!copy) {
    dropped++;
    return;
  }
  memcpy(copy, text, len);
  struct message *m = &queue[(head + count) % MAX_QUEUED];
  m->text = copy;
  m->len = len;
  count++;
  queued_bytes += len;
}

static void go_down(int err) {
  if (sock >= 0) close(sock);
  sock = -1;
  sent_offset = 0;
  retry_at = now_ms() + RETRY_MS;
  if (state != DOWN) {
    state = DOWN;
    char line[256];
    snprintf(line, sizeof line, "down %s\n", strerror(err));
    report(line);
  }
}

static void go_up(void) {
  if (state == UP) return;
  if (state != UNKNOWN || dropped > 0) {
    char line[64];
    snprintf(line, sizeof line, "up %lu\n", dropped);
    report(line);
  }
  state = UP;
  dropped = 0;
}

static void try_connect(void) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr.sun_path) {
    go_down(ENAMETOOLONG);
    return;
  }
  strcpy(addr.sun_path, path);
  for (int attempt = 0; attempt < 2; attempt++) {
    int type = attempt == 0 ? SOCK_DGRAM : SOCK_STREAM;
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      go_down(errno);
      return;
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 || errno == EINPROGRESS) {
      sock = fd;
      sock_stream = type == SOCK_STREAM;
      sent_offset = 0;
      return;
    }
    int err = errno;
    close(fd);
    if (err != EPROTOTYPE) {
      go_down(err);
      return;
    }
  }
  go_down(EPROTOTYPE);
}

/* Send queued messages until the queue is empty or the socket would block. Returns 1 if blocked. */
static int flush(void) {
  while (count > 0 && sock >= 0) {
    struct message *m = &queue[head];
    ssize_t n;
    if (sock_stream) {
      /* the message plus its terminating NUL */
      if (sent_offset < m->len) n = send(sock, m->text + sent_offset, m->len - sent_offset, MSG_DONTWAIT | MSG_NOSIGNAL);
      else n = send(sock, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    } else {
      n = send(sock, m->text, m->len, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR) return 1;
      if (errno == EMSGSIZE) {
        drop_oldest();
        dropped++;
        continue;
      }
      go_down(errno);
      return 0;
    }
    if (sock_stream) {
      sent_offset += (size_t)n;
      if (sent_offset <= m->len) continue;
    }
    drop_oldest();
    if (count == 0 || state == DOWN || state == UNKNOWN) go_up();
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: xinetd-ts-syslog-relay SOCKET_PATH\n");
    return 2;
  }
  path = argv[1];
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  static char in[MAX_MESSAGE * 4];
  size_t in_len = 0;
  int skipping = 0; /* inside an over-long line: its tail is discarded */
  int input_open = 1;
  long long exit_by = 0;
  for (;;) {
    int blocked = 0;
    if (count > 0) {
      if (sock < 0 && now_ms() >= retry_at) try_connect();
      if (sock >= 0) blocked = flush();
    }
    if (!input_open) {
      if (count == 0 || now_ms() >= exit_by) return 0;
    }
    struct pollfd fds[2];
    int nfds = 0;
    if (input_open) fds[nfds++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
    int sock_index = -1;
    if (blocked && sock >= 0) {
      sock_index = nfds;
      fds[nfds++] = (struct pollfd){ .fd = sock, .events = POLLOUT };
    }
    int timeout = -1;
    if (count > 0) {
      long long wait = blocked ? RETRY_MS : (sock < 0 ? retry_at - now_ms() : 0);
      if (!input_open && exit_by - now_ms() < wait) wait = exit_by - now_ms();
      timeout = wait < 0 ? 0 : (int)wait;
    }
    if (nfds == 0) {
      struct timespec ts = { timeout / 1000, (timeout % 1000) * 1000000L };
      nanosleep(&ts, NULL);
      continue;
    }
    int ready = poll(fds, nfds, timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    (void)sock_index;
    if (input_open && fds[0].revents) {
      ssize_t n = read(STDIN_FILENO, in + in_len, sizeof in - in_len);
      if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        input_open = 0;
        exit_by = now_ms() + EXIT_FLUSH_MS;
        continue;
      }
      in_len += (size_t)n;
      size_t start = 0;
      for (size_t i = 0; i < in_len; i++) {
        if (in[i] != '\n') continue;
        if (!skipping && i > start) enqueue(in + start, i - start);
        skipping = 0;
        start = i + 1;
      }
      memmove(in, in + start, in_len - start);
      in_len -= start;
      if (in_len == sizeof in) {
        /* a line longer than the buffer: keep its head, drop the rest */
        if (!skipping) enqueue(in, MAX_MESSAGE);
        skipping = 1;
        in_len = 0;
      }
    }
  }
}
