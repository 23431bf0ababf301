/* Descriptor flags (fd-flags.h): set_nonblock and set_cloexec, for the launcher's own
 * descriptors and, in a child, for fd 0. */
#define _GNU_SOURCE
#include <fcntl.h>
#include "fd-flags.h"

int set_nonblock(int fd, int on) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return -1;
  int nfl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  if (nfl == fl) return 0;
  return fcntl(fd, F_SETFL, nfl);
}

int set_cloexec(int fd) {
  int fl = fcntl(fd, F_GETFD);
  if (fl < 0) return -1;
  return fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}
