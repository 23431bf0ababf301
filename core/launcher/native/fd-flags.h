/* Descriptor flags (fd-flags.c): O_NONBLOCK on or off, FD_CLOEXEC on. 0, or -1 (errno set). */
#ifndef XINETD_TS_LAUNCHER_FD_FLAGS_H
#define XINETD_TS_LAUNCHER_FD_FLAGS_H

int set_nonblock(int fd, int on);
int set_cloexec(int fd);

#endif
