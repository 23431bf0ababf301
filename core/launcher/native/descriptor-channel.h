/*
 * The descriptor channel (descriptor-channel.c): an inherited SOCK_SEQPACKET socket
 * (XINETD_TS_FD_CHANNEL) on which each packet is one command with at most one descriptor. The
 * daemon's native accept path sends its wait = no starts this way: no JSON, no handle
 * acknowledgement. Replies go over the IPC channel.
 */
#ifndef XINETD_TS_LAUNCHER_DESCRIPTOR_CHANNEL_H
#define XINETD_TS_LAUNCHER_DESCRIPTOR_CHANNEL_H

extern int channel_fd; /* -1: none, or the daemon's end is gone */

void read_channel(void);

#endif
