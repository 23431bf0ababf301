/* What both halves of acceptor.node share (core/accept/sockets.c). */
#ifndef XINETD_TS_SOCKETS_H
#define XINETD_TS_SOCKETS_H
#include <node_api.h>
#include <sys/socket.h>

/* Throw an Error shaped like Node's system errors: code, errno (negative), syscall, and
 * libuv's wording ("listen EADDRINUSE: address already in use"). Returns NULL. */
napi_value throw_system_error(napi_env env, int err, const char *syscall);

/* A JavaScript number for a C int (a descriptor, a policy, 0 or -errno). */
napi_value int32_value(napi_env env, int value);

/* A numeric address (IPv4 dotted, or IPv6 when it has a colon) and port; 0, or -1. */
int endpoint_parse(const char *address, int port, struct sockaddr_storage *ss, socklen_t *length);

/* The numeric text and port of an IPv4 or IPv6 address; 0, or -1. */
int endpoint_text(const struct sockaddr_storage *ss, char *text, size_t size, int *port);

/* A non-blocking, close-on-exec socket of `type` bound to address:port, with SO_REUSEADDR and
 * IPV6_V6ONLY set explicitly for IPv6 (whatever net.ipv6.bindv6only says, as xinetd does).
 * family is 4 or 6. Returns the descriptor; throws and returns -1 on failure. */
int bound_socket(napi_env env, int type, int family, const char *address, int port, int v6only);

#endif
