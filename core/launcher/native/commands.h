/*
 * The daemon's commands (commands.c; the table is in docs/launcher.md): spawn, adopt, launch,
 * refuse, resume, release, kill, plan, forget, ping. A payload comes from either channel; fd is
 * the descriptor that came with it, or -1, and stays the caller's to close.
 */
#ifndef XINETD_TS_LAUNCHER_COMMANDS_H
#define XINETD_TS_LAUNCHER_COMMANDS_H

void handle_command(const char *payload, int fd);

#endif
