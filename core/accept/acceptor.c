/*
 * xinetd-ts native accept path (a Node-API addon, built by scripts/build-native.mjs).
 *
 * Why: accepting through net.Server costs a net.Socket, two getpeername/getsockname calls and
 * a stream state machine per connection before the daemon has decided anything; for services
 * that answer and close (daytime, time) or refuse, that is most of the daemon's work. Here a
 * listening socket is polled on Node's own event loop (uv_poll), accept4() returns the peer's
 * address with the descriptor, and JavaScript gets (fd, address, port). A connection that needs
 * a stream becomes a net.Socket from its descriptor only then (core/accept/accepted-connection.ts).
 *
 * Exports:
 *   listen(family 4|6, address, port, v6only, backlog) -> fd     throws {code, errno, syscall}
 *   start(fd, nodelay, keepalive, onConnection(fd, address, port)) -> acceptor
 *       onConnection gets fd = -errno for an accept error that needs the daemon (EMFILE...);
 *       polling is then paused until resume().
 *   pause(acceptor), resume(acceptor), stop(acceptor)   stop() also closes the listening fd
 *   localEndpoint(fd) -> [address, port] | undefined
 *   answer(fd, buffer) -> bytes written or -errno (never blocks; the descriptor stays open)
 *   close(fd)                           shutdown(SHUT_WR), then close
 *   release(fd)                         close only (a descriptor shared with another process)
 *   channel() -> [ours, theirs]         a SOCK_SEQPACKET pair for the launcher; ours non-blocking
 *   sendDescriptor(channel, fd, ...parts) -> 0 or -errno   one packet: the parts + fd (SCM_RIGHTS)
 * and those of datagrams.c (the datagram path) and scheduling.c (the launchers' policy).
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "datagrams.h"
#include "scheduling.h"
#include "sockets.h"

/* Connections taken per wakeup before yielding to the rest of the event loop (libuv's own
 * accept loop has no such bound; a flood must not starve timers and other services). */
#define ACCEPTS_PER_WAKEUP 64

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref on_connection;
  napi_async_context context;
  int fd;
  int nodelay;
  int keepalive;
  int polling;
  int stopped;
} acceptor_t;

static void deliver(acceptor_t *a, napi_value callback, napi_value receiver, int fd, const char *address, int port) {
  napi_env env = a->env;
  napi_value argv[3], result;
  napi_create_int32(env, fd, &argv[0]);
  napi_create_string_latin1(env, address, NAPI_AUTO_LENGTH, &argv[1]);
  napi_create_int32(env, port, &argv[2]);
  /* make_callback: process.nextTick and promise jobs run after each connection, as after
   * net.Server's 'connection'. */
  if (napi_make_callback(env, a->context, receiver, callback, 3, argv, &result) == napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  acceptor_t *a = handle->data;
  if (a->stopped) return;
  napi_env env = a->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, receiver;
  napi_get_reference_value(env, a->on_connection, &callback);
  napi_get_global(env, &receiver);
  if (status < 0) {
    uv_poll_stop(&a->poll);
    a->polling = 0;
    deliver(a, callback, receiver, status, "", 0);
  }
  for (int i = 0; i < ACCEPTS_PER_WAKEUP && !a->stopped && a->polling; i++) {
    struct sockaddr_storage peer;
    socklen_t length = sizeof peer;
    int fd = accept4(a->fd, (struct sockaddr *)&peer, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      int err = errno;
      uv_poll_stop(&a->poll); /* EMFILE and friends: the daemon decides when to try again */
      a->polling = 0;
      deliver(a, callback, receiver, -err, "", 0);
      break;
    }
    char address[INET6_ADDRSTRLEN];
    int port = 0;
    if (endpoint_text(&peer, address, sizeof address, &port) != 0) {
      close(fd);
      continue;
    }
    int one = 1;
    if (a->nodelay) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (a->keepalive) setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    deliver(a, callback, receiver, fd, address, port);
  }
  napi_close_handle_scope(env, scope);
}

static void on_closed(uv_handle_t *handle) {
  free(handle->data);
}

static acceptor_t *unwrap(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok) {
    napi_throw_type_error(env, NULL, "not an acceptor");
    return NULL;
  }
  return data;
}

static napi_value js_listen(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int family = 0, port = 0, backlog = 0;
  bool v6only = false;
  char address[INET6_ADDRSTRLEN + 1];
  size_t length = 0;
  napi_get_value_int32(env, argv[0], &family);
  if (napi_get_value_string_latin1(env, argv[1], address, sizeof address, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "address must be a string");
    return NULL;
  }
  napi_get_value_int32(env, argv[2], &port);
  napi_get_value_bool(env, argv[3], &v6only);
  napi_get_value_int32(env, argv[4], &backlog);
  int fd = bound_socket(env, SOCK_STREAM, family, address, port, v6only);
  if (fd < 0) return NULL;
  if (listen(fd, backlog > 0 ? backlog : 511) != 0) {
    int err = errno;
    close(fd);
    return throw_system_error(env, err, "listen");
  }
  return int32_value(env, fd);
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  acceptor_t *a = calloc(1, sizeof *a);
  if (!a) return throw_system_error(env, ENOMEM, "calloc");
  bool nodelay = false, keepalive = false;
  napi_get_value_int32(env, argv[0], &a->fd);
  napi_get_value_bool(env, argv[1], &nodelay);
  napi_get_value_bool(env, argv[2], &keepalive);
  a->nodelay = nodelay;
  a->keepalive = keepalive;
  a->env = env;
  napi_create_reference(env, argv[3], 1, &a->on_connection);
  napi_value name;
  napi_create_string_latin1(env, "xinetd-ts:accept", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &a->context);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int rc = uv_poll_init(loop, &a->poll, a->fd);
  if (rc != 0) {
    napi_delete_reference(env, a->on_connection);
    napi_async_destroy(env, a->context);
    free(a);
    return throw_system_error(env, -rc, "uv_poll_init");
  }
  a->poll.data = a;
  uv_poll_start(&a->poll, UV_READABLE, on_readable);
  a->polling = 1;
  napi_value result;
  napi_create_external(env, a, NULL, NULL, &result);
  return result;
}

/* pause(acceptor) and resume(acceptor): polling off or on, for a live acceptor only. */
static napi_value set_polling(napi_env env, napi_callback_info info, int on) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  acceptor_t *a = unwrap(env, argv[0]);
  if (!a || a->stopped || a->polling == on) return NULL;
  if (on) uv_poll_start(&a->poll, UV_READABLE, on_readable);
  else uv_poll_stop(&a->poll);
  a->polling = on;
  return NULL;
}

static napi_value js_pause(napi_env env, napi_callback_info info) { return set_polling(env, info, 0); }
static napi_value js_resume(napi_env env, napi_callback_info info) { return set_polling(env, info, 1); }

static napi_value js_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  acceptor_t *a = unwrap(env, argv[0]);
  if (!a || a->stopped) return NULL;
  a->stopped = 1;
  a->polling = 0;
  napi_delete_reference(env, a->on_connection);
  napi_async_destroy(env, a->context);
  /* uv_close stops polling at once, so the descriptor can be closed now; the memory goes
   * when libuv has finished with the handle. The external keeps a dangling pointer that
   * `stopped` can no longer be read through, so stop() must be the last call. */
  int fd = a->fd;
  uv_close((uv_handle_t *)&a->poll, on_closed);
  close(fd);
  return NULL;
}

/* The one argument of localEndpoint, close and release: a descriptor (-1 if not a number). */
static int fd_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1) napi_get_value_int32(env, argv[0], &fd);
  return fd;
}


/* [a, b] as a JavaScript array. */
static napi_value pair_of(napi_env env, napi_value a, napi_value b) {
  napi_value result;
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, a);
  napi_set_element(env, result, 1, b);
  return result;
}
static napi_value js_local_endpoint(napi_env env, napi_callback_info info) {
  int fd = fd_arg(env, info);
  struct sockaddr_storage ss;
  socklen_t length = sizeof ss;
  char address[INET6_ADDRSTRLEN];
  int port = 0;
  if (getsockname(fd, (struct sockaddr *)&ss, &length) != 0 || endpoint_text(&ss, address, sizeof address, &port) != 0) return NULL;
  napi_value text, number;
  napi_create_string_latin1(env, address, NAPI_AUTO_LENGTH, &text);
  napi_create_int32(env, port, &number);
  return pair_of(env, text, number);
}

static napi_value js_answer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd = -1;
  napi_get_value_int32(env, argv[0], &fd);
  void *data = NULL;
  size_t length = 0;
  if (napi_get_typedarray_info(env, argv[1], NULL, &length, &data, NULL, NULL) != napi_ok) {
    napi_throw_type_error(env, NULL, "answer needs a Uint8Array");
    return NULL;
  }
  ssize_t n;
  do n = send(fd, data, length, MSG_NOSIGNAL | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  napi_value result;
  napi_create_int32(env, n < 0 ? -errno : (int)n, &result);
  return result;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  int fd = fd_arg(env, info);
  /* FIN first: a client whose bytes were never read would otherwise get only a reset, and
   * could lose the answer sent just before (net.Socket's end() + destroySoon() does the same). */
  if (fd >= 0) {
    shutdown(fd, SHUT_WR);
    close(fd);
  }
  return NULL;
}

static napi_value js_release(napi_env env, napi_callback_info info) {
  int fd = fd_arg(env, info);
  if (fd >= 0) close(fd);
  return NULL;
}

static napi_value js_channel(napi_env env, napi_callback_info info) {
  (void)info;
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return throw_system_error(env, errno, "socketpair");
  int flags = fcntl(pair[0], F_GETFL);
  fcntl(pair[0], F_SETFL, flags | O_NONBLOCK);
  napi_value ours, theirs;
  napi_create_int32(env, pair[0], &ours);
  napi_create_int32(env, pair[1], &theirs);
  return pair_of(env, ours, theirs);
}

/* sendDescriptor(channel, fd, ...parts): the packet's text is the parts one after the other,
 * copied straight from the JavaScript strings (a cached plan text is not joined per start). */
static napi_value js_send_descriptor(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int channel = -1, fd = -1;
  napi_get_value_int32(env, argv[0], &channel);
  napi_get_value_int32(env, argv[1], &fd);
  static char text[65536];
  size_t used = 0;
  napi_value result;
  for (size_t i = 2; i < argc; i++) {
    size_t length = 0;
    if (napi_get_value_string_latin1(env, argv[i], text + used, sizeof text - used, &length) != napi_ok || used + length >= sizeof text - 1) {
      napi_create_int32(env, -EMSGSIZE, &result);
      return result;
    }
    used += length;
  }
  struct iovec iov = {text, used};
  char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof control);
  struct msghdr message;
  memset(&message, 0, sizeof message);
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  struct cmsghdr *c = CMSG_FIRSTHDR(&message);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  do n = sendmsg(channel, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  napi_create_int32(env, n < 0 ? -errno : 0, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
    {"listen", NULL, js_listen, NULL, NULL, NULL, napi_default, NULL},
    {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
    {"pause", NULL, js_pause, NULL, NULL, NULL, napi_default, NULL},
    {"resume", NULL, js_resume, NULL, NULL, NULL, napi_default, NULL},
    {"stop", NULL, js_stop, NULL, NULL, NULL, napi_default, NULL},
    {"localEndpoint", NULL, js_local_endpoint, NULL, NULL, NULL, napi_default, NULL},
    {"answer", NULL, js_answer, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
    {"release", NULL, js_release, NULL, NULL, NULL, napi_default, NULL},
    {"channel", NULL, js_channel, NULL, NULL, NULL, napi_default, NULL},
    {"sendDescriptor", NULL, js_send_descriptor, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  register_datagrams(env, exports);
  register_scheduling(env, exports);
  return exports;
}
