/* The descriptor channel (descriptor-channel.h): up to 64 packets a wakeup, each one command
 * with its descriptor. */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>
#include "alloc.h"
#include "children.h"
#include "commands.h"
#include "descriptor-channel.h"
#include "ipc-channel.h"

#define MAX_PACKET (64 * 1024)          /* longest command on the descriptor channel */

int channel_fd = -1;

/* Up to 64 packets per wakeup, so the IPC channel and the children are served too. */
void read_channel(void) {
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
    report_progress();
  }
}
