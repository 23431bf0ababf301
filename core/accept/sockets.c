/* Socket helpers shared by the stream (acceptor.c) and datagram (datagrams.c) halves of the addon. */
#define _GNU_SOURCE
#include "sockets.h"

#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

napi_value throw_system_error(napi_env env, int err, const char *syscall) {
  char text[256];
  snprintf(text, sizeof text, "%s %s: %s", syscall, uv_err_name(-err), uv_strerror(-err));
  napi_value error, message, code, number, sys;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &error);
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
  napi_set_named_property(env, error, "code", code);
  napi_create_int32(env, -err, &number);
  napi_set_named_property(env, error, "errno", number);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, error, "syscall", sys);
  /* The C library's text, for messages in xinetd's `%m` form. */
  napi_value text_value;
  napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &text_value);
  napi_set_named_property(env, error, "strerror", text_value);
  napi_throw(env, error);
  return NULL;
}

int endpoint_parse(const char *address, int port, struct sockaddr_storage *ss, socklen_t *length) {
  memset(ss, 0, sizeof *ss);
  if (strchr(address, ':')) {
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
    s->sin6_family = AF_INET6;
    s->sin6_port = htons((uint16_t)port);
    *length = sizeof *s;
    return inet_pton(AF_INET6, address, &s->sin6_addr) == 1 ? 0 : -1;
  }
  struct sockaddr_in *s = (struct sockaddr_in *)ss;
  s->sin_family = AF_INET;
  s->sin_port = htons((uint16_t)port);
  *length = sizeof *s;
  return inet_pton(AF_INET, address, &s->sin_addr) == 1 ? 0 : -1;
}

int endpoint_text(const struct sockaddr_storage *ss, char *text, size_t size, int *port) {
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
    *port = ntohs(s->sin_port);
    return inet_ntop(AF_INET, &s->sin_addr, text, size) ? 0 : -1;
  }
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
    *port = ntohs(s->sin6_port);
    return inet_ntop(AF_INET6, &s->sin6_addr, text, size) ? 0 : -1;
  }
  return -1;
}

int bound_socket(napi_env env, int type, int family, const char *address, int port, int v6only) {
  struct sockaddr_storage ss;
  socklen_t length;
  if (endpoint_parse(address, port, &ss, &length) != 0 || (family == 4) != (ss.ss_family == AF_INET)) {
    throw_system_error(env, EINVAL, "bind");
    return -1;
  }
  int fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_system_error(env, errno, "socket");
    return -1;
  }
  int one = 1, v6 = v6only ? 1 : 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof v6) != 0) {
    int err = errno;
    close(fd);
    throw_system_error(env, err, "setsockopt");
    return -1;
  }
  if (bind(fd, (struct sockaddr *)&ss, length) != 0) {
    int err = errno;
    close(fd);
    /* Node reports a stream socket's bind errors as listen errors; keep its wording. */
    throw_system_error(env, err, type == SOCK_STREAM ? "listen" : "bind");
    return -1;
  }
  return fd;
}

napi_value int32_value(napi_env env, int value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  return v;
}
