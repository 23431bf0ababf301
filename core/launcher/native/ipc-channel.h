/*
 * Node's IPC channel to the daemon (ipc-channel.c): one JSON value per line both ways, a
 * descriptor as SCM_RIGHTS with the first bytes of its line, and the handle protocol
 * (NODE_HANDLE, answered by ACK or NACK). Outgoing lines wait in a queue written without
 * blocking (the poll loop asks for POLLOUT while out_head is set); a descriptor sent back waits
 * for the ACK of the previous one.
 */
#ifndef XINETD_TS_LAUNCHER_IPC_CHANNEL_H
#define XINETD_TS_LAUNCHER_IPC_CHANNEL_H
#include <sys/types.h>

#define MAX_LINE (1024 * 1024)          /* longest accepted IPC line */

extern int ipc_fd;              /* NODE_CHANNEL_FD, set by main */
extern struct outmsg *out_head; /* set while bytes wait to be written */
extern char *inbuf;             /* MAX_LINE bytes, allocated by main */

/* Queue a message: the payload as one JSON string line. */
void send_payload(const char *payload);
/* Queue "HEAD TEXT", the text as one token. */
void send2(const char *head, const char *text);
/* Queue a copy of fd for the daemon, as a raw handle of that type, with the payload. */
void send_handle(const char *type, const char *payload, int fd);
/* Move the next descriptor to the queue once the previous one is acknowledged. */
void pump_handles(void);
/* Write what the socket takes now; exits when the daemon is gone. */
void flush_out(void);
/* One recvmsg() with the descriptors that came with it (see ipc-channel.c). */
ssize_t recv_with_fds(int sock, char *buf, size_t len, int *fds, int maxfds, int *nfds, int *truncated);
/* Read and handle every complete line; exits when the daemon closed the channel. */
void read_ipc(void);

#endif
