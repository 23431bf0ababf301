/*
 * Datagram services served by the daemon (echo, daytime, time, chargen, discard over UDP, and
 * third-party internal services): the native receive path, part of acceptor.node.
 *
 * Why: Node's dgram delivers one datagram per callback with an rinfo object, and its send()
 * looks the address up and goes through libuv's send queue; for a 64-byte echo that is most
 * of the daemon's work. Here recvmmsg() takes up to BATCH datagrams per system call, JavaScript
 * gets (Buffer, address, port) for each inside one callback scope, and a reply is one sendto().
 *
 * Exports (added to the addon's exports by register_datagrams):
 *   bindDatagram(family 4|6, address, port, v6only) -> fd                throws {code, errno, syscall}
 *   startDatagrams(fd, onDatagram(data, address, port)) -> receiver
 *   stopDatagrams(receiver)                      also closes the socket
 *   sendDatagram(fd, data, address, port) -> bytes sent or -errno       never blocks
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "datagrams.h"
#include "sockets.h"

#define BATCH 32              /* datagrams per recvmmsg() */
#define BATCHES_PER_WAKEUP 2  /* then the rest of the event loop gets its turn */
#define MAX_DATAGRAM 65536    /* the largest UDP payload, so nothing is ever truncated */

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref on_datagram;
  napi_ref resource;
  napi_async_context context;
  int fd;
  int stopped;
} receiver_t;

/* One receive area for every receiver: the event loop runs one callback at a time. */
static unsigned char *arena;

static void on_datagrams(uv_poll_t *handle, int status, int events) {
  (void)events;
  receiver_t *r = handle->data;
  if (r->stopped) return;
  if (status < 0) { /* a socket error: stop polling rather than be called again at once */
    uv_poll_stop(&r->poll);
    return;
  }
  napi_env env = r->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, resource, receiver;
  napi_get_reference_value(env, r->on_datagram, &callback);
  napi_get_reference_value(env, r->resource, &resource);
  napi_get_global(env, &receiver);
  /* One callback scope for the whole wakeup: promise jobs and nextTicks run once, at its end. */
  napi_callback_scope callback_scope;
  napi_open_callback_scope(env, resource, r->context, &callback_scope);
  for (int round = 0; round < BATCHES_PER_WAKEUP && !r->stopped; round++) {
    struct mmsghdr messages[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_storage peers[BATCH];
    memset(messages, 0, sizeof messages);
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = arena + (size_t)i * MAX_DATAGRAM;
      iov[i].iov_len = MAX_DATAGRAM;
      messages[i].msg_hdr.msg_iov = &iov[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_name = &peers[i];
      messages[i].msg_hdr.msg_namelen = sizeof peers[i];
    }
    int n = recvmmsg(r->fd, messages, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) break;
    for (int i = 0; i < n && !r->stopped; i++) {
      char address[INET6_ADDRSTRLEN];
      int port = 0;
      if (endpoint_text(&peers[i], address, sizeof address, &port) != 0) continue;
      napi_value argv[3], result;
      void *copy;
      napi_create_buffer_copy(env, messages[i].msg_len, iov[i].iov_base, &copy, &argv[0]);
      napi_create_string_latin1(env, address, NAPI_AUTO_LENGTH, &argv[1]);
      napi_create_int32(env, port, &argv[2]);
      if (napi_call_function(env, receiver, callback, 3, argv, &result) == napi_pending_exception) {
        napi_value exception;
        napi_get_and_clear_last_exception(env, &exception);
        napi_fatal_exception(env, exception);
      }
    }
    if (n < BATCH) break;
  }
  napi_close_callback_scope(env, callback_scope);
  napi_close_handle_scope(env, scope);
}

static void on_receiver_closed(uv_handle_t *handle) {
  free(handle->data);
}

static napi_value js_bind_datagram(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int family = 0, port = 0;
  bool v6only = false;
  char address[INET6_ADDRSTRLEN + 1];
  size_t length = 0;
  napi_get_value_int32(env, argv[0], &family);
  if (napi_get_value_string_latin1(env, argv[1], address, sizeof address, &length) != napi_ok) return throw_system_error(env, EINVAL, "bind");
  napi_get_value_int32(env, argv[2], &port);
  napi_get_value_bool(env, argv[3], &v6only);
  int fd = bound_socket(env, SOCK_DGRAM, family, address, port, v6only);
  if (fd < 0) return NULL;
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

static napi_value js_start_datagrams(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!arena && !(arena = malloc((size_t)BATCH * MAX_DATAGRAM))) return throw_system_error(env, ENOMEM, "malloc");
  receiver_t *r = calloc(1, sizeof *r);
  if (!r) return throw_system_error(env, ENOMEM, "calloc");
  napi_get_value_int32(env, argv[0], &r->fd);
  r->env = env;
  napi_create_reference(env, argv[1], 1, &r->on_datagram);
  napi_value resource, name;
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &r->resource);
  napi_create_string_latin1(env, "xinetd-ts:datagrams", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &r->context);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int rc = uv_poll_init(loop, &r->poll, r->fd);
  if (rc != 0) {
    napi_delete_reference(env, r->on_datagram);
    napi_delete_reference(env, r->resource);
    napi_async_destroy(env, r->context);
    free(r);
    return throw_system_error(env, -rc, "uv_poll_init");
  }
  r->poll.data = r;
  uv_poll_start(&r->poll, UV_READABLE, on_datagrams);
  napi_value result;
  napi_create_external(env, r, NULL, NULL, &result);
  return result;
}

static napi_value js_stop_datagrams(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data = NULL;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok) return NULL;
  receiver_t *r = data;
  if (r->stopped) return NULL;
  r->stopped = 1;
  napi_delete_reference(env, r->on_datagram);
  napi_delete_reference(env, r->resource);
  napi_async_destroy(env, r->context);
  int fd = r->fd;
  uv_close((uv_handle_t *)&r->poll, on_receiver_closed);
  close(fd);
  return NULL;
}

static napi_value js_send_datagram(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd = -1, port = 0;
  napi_get_value_int32(env, argv[0], &fd);
  void *data = NULL;
  size_t length = 0;
  if (napi_get_typedarray_info(env, argv[1], NULL, &length, &data, NULL, NULL) != napi_ok) {
    napi_throw_type_error(env, NULL, "sendDatagram needs a Uint8Array");
    return NULL;
  }
  char address[INET6_ADDRSTRLEN + 1];
  size_t alen = 0;
  napi_get_value_string_latin1(env, argv[2], address, sizeof address, &alen);
  napi_get_value_int32(env, argv[3], &port);
  struct sockaddr_storage ss;
  socklen_t sslen;
  napi_value result;
  if (endpoint_parse(address, port, &ss, &sslen) != 0) {
    napi_create_int32(env, -EINVAL, &result);
    return result;
  }
  ssize_t n;
  do n = sendto(fd, data, length, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, sslen);
  while (n < 0 && errno == EINTR);
  napi_create_int32(env, n < 0 ? -errno : (int)n, &result);
  return result;
}

void register_datagrams(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"bindDatagram", NULL, js_bind_datagram, NULL, NULL, NULL, napi_default, NULL},
    {"startDatagrams", NULL, js_start_datagrams, NULL, NULL, NULL, napi_default, NULL},
    {"stopDatagrams", NULL, js_stop_datagrams, NULL, NULL, NULL, napi_default, NULL},
    {"sendDatagram", NULL, js_send_datagram, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
}
