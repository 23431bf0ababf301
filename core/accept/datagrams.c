/*
 * Datagram services served by the daemon (echo, daytime, time, chargen, discard over UDP, and
 * third-party internal services): the native receive path, part of acceptor.node.
 *
 * Why: Node's dgram delivers one datagram per callback with an rinfo object, and its send()
 * looks the address up and goes through libuv's send queue; for a 64-byte echo that is most
 * of the daemon's work. Here recvmmsg() takes up to BATCH datagrams per system call into areas
 * shared with JavaScript, one call hands JavaScript the whole batch, and the replies queued
 * during that call leave together with sendmmsg() to the batch's own source addresses.
 *
 * Exports (added to the addon's exports by register_datagrams):
 *   initDatagrams(inbox, inMeta, addresses, outbox, outMeta)   the shared areas, once (see below)
 *   bindDatagram(family 4|6, address, port, v6only) -> fd                throws {code, errno, syscall}
 *   startDatagrams(fd, onBatch(count)) -> receiver
 *   stopDatagrams(receiver)                      also closes the socket
 *   sendDatagram(fd, data, address, port) -> bytes sent or -errno       never blocks
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
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
#define ADDRESS_TEXT 64       /* bytes per address in the addresses area (INET6_ADDRSTRLEN is 46) */
#define REPLIES 64            /* replies queued per batch */
#define REPLY_SIZE 2048       /* bytes per queued reply; larger ones are sent at once */

/*
 * The areas shared with JavaScript (core/accept/native-datagrams.ts allocates them once and
 * hands them over with initDatagrams; the event loop runs one batch at a time, so every
 * receiver uses the same ones):
 *   inbox      BATCH x MAX_DATAGRAM bytes: datagram i at i * MAX_DATAGRAM
 *   in_meta    BATCH x 3 int32: length (-1: skip, not an IP peer), port, address text length
 *              (0: the same address as the previous datagram of this batch)
 *   addresses  BATCH x ADDRESS_TEXT bytes: datagram i's address text (latin1) when its length is > 0
 *   outbox     REPLIES x REPLY_SIZE bytes: queued reply k at k * REPLY_SIZE
 *   out_meta   1 + REPLIES x 2 int32: the number of queued replies, then (datagram index, length)
 */
static unsigned char *inbox, *addresses, *outbox;
static int32_t *in_meta, *out_meta;
static napi_ref shared_refs[5];

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref on_batch;
  napi_ref resource;
  napi_async_context context;
  int fd;
  int stopped;
  struct sockaddr_storage peers[BATCH]; /* the current batch's sources: queued replies go there */
  struct sockaddr_storage described;    /* the last source whose text JavaScript was given */
  int has_described;
} receiver_t;

static int same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET)
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
  return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

/* Describe datagram i for JavaScript. Its address text is left out (length 0) when it is the
 * same as that of the last datagram described, in this batch or an earlier one: JavaScript keeps
 * the last text it read. */
static void describe(receiver_t *r, int i, unsigned length) {
  int32_t *m = in_meta + i * 3;
  const struct sockaddr_storage *peer = &r->peers[i];
  m[0] = (int32_t)length;
  /* The same source address as the one before (a busy client): only its port, no text. */
  if (r->has_described && same_address(peer, &r->described)) {
    m[1] = ntohs(peer->ss_family == AF_INET ? ((const struct sockaddr_in *)peer)->sin_port : ((const struct sockaddr_in6 *)peer)->sin6_port);
    m[2] = 0;
    return;
  }
  char text[INET6_ADDRSTRLEN];
  int port = 0;
  if (endpoint_text(peer, text, sizeof text, &port) != 0) {
    m[0] = -1;
    return;
  }
  size_t n = strlen(text);
  memcpy(addresses + (size_t)i * ADDRESS_TEXT, text, n);
  m[1] = port;
  m[2] = (int32_t)n;
  r->described = *peer;
  r->has_described = 1;
}

/* Send the replies JavaScript queued during the batch: sendmmsg, as many calls as it takes. A
 * full socket buffer drops the rest, as UDP may. */
static void send_queued(receiver_t *r) {
  int count = out_meta[0];
  out_meta[0] = 0;
  if (count <= 0 || count > REPLIES) return;
  struct mmsghdr messages[REPLIES];
  struct iovec iov[REPLIES];
  memset(messages, 0, sizeof messages);
  int ready = 0;
  for (int k = 0; k < count; k++) {
    int slot = out_meta[1 + k * 2], length = out_meta[2 + k * 2];
    if (slot < 0 || slot >= BATCH || length < 0 || length > REPLY_SIZE) continue;
    iov[ready].iov_base = outbox + (size_t)k * REPLY_SIZE;
    iov[ready].iov_len = (size_t)length;
    messages[ready].msg_hdr.msg_iov = &iov[ready];
    messages[ready].msg_hdr.msg_iovlen = 1;
    messages[ready].msg_hdr.msg_name = &r->peers[slot];
    messages[ready].msg_hdr.msg_namelen = r->peers[slot].ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    ready++;
  }
  for (int sent = 0; sent < ready;) {
    int n = sendmmsg(r->fd, messages + sent, (unsigned)(ready - sent), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) sent += n;
    else if (n < 0 && errno == EINTR) continue;
    else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) sent++; /* this one failed (no route...): skip it */
    else break;
  }
}

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
  napi_get_reference_value(env, r->on_batch, &callback);
  napi_get_reference_value(env, r->resource, &resource);
  napi_get_global(env, &receiver);
  /* One callback scope for the whole wakeup: promise jobs and nextTicks run once, at its end. */
  napi_callback_scope callback_scope;
  napi_open_callback_scope(env, resource, r->context, &callback_scope);
  for (int round = 0; round < BATCHES_PER_WAKEUP && !r->stopped; round++) {
    struct mmsghdr messages[BATCH];
    struct iovec iov[BATCH];
    memset(messages, 0, sizeof messages);
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = inbox + (size_t)i * MAX_DATAGRAM;
      iov[i].iov_len = MAX_DATAGRAM;
      messages[i].msg_hdr.msg_iov = &iov[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_name = &r->peers[i];
      messages[i].msg_hdr.msg_namelen = sizeof r->peers[i];
    }
    int n = recvmmsg(r->fd, messages, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) describe(r, i, messages[i].msg_len);
    out_meta[0] = 0;
    napi_value argv[1], result;
    napi_create_int32(env, n, &argv[0]);
    if (napi_call_function(env, receiver, callback, 1, argv, &result) == napi_pending_exception) {
      napi_value exception;
      napi_get_and_clear_last_exception(env, &exception);
      napi_fatal_exception(env, exception);
    }
    if (!r->stopped) send_queued(r);
    else out_meta[0] = 0;
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
  return int32_value(env, fd);
}

/* The shared areas, each checked for its exact size; once per process. */
static napi_value js_init_datagrams(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  static const size_t sizes[5] = {
    (size_t)BATCH * MAX_DATAGRAM, BATCH * 3 * sizeof(int32_t), (size_t)BATCH * ADDRESS_TEXT,
    (size_t)REPLIES * REPLY_SIZE, (1 + REPLIES * 2) * sizeof(int32_t),
  };
  void *areas[5];
  for (int i = 0; i < 5; i++) {
    size_t length = 0;
    napi_typedarray_type type;
    size_t elements = 0;
    if (argc < 5 || napi_get_typedarray_info(env, argv[i], &type, &elements, &areas[i], NULL, NULL) != napi_ok) {
      napi_throw_type_error(env, NULL, "initDatagrams needs five typed arrays");
      return NULL;
    }
    length = elements * (type == napi_int32_array ? sizeof(int32_t) : 1);
    if (length != sizes[i]) {
      napi_throw_range_error(env, NULL, "initDatagrams: an area has the wrong size");
      return NULL;
    }
  }
  if (inbox) return NULL; /* already done: the first areas stay */
  for (int i = 0; i < 5; i++) napi_create_reference(env, argv[i], 1, &shared_refs[i]);
  inbox = areas[0];
  in_meta = areas[1];
  addresses = areas[2];
  outbox = areas[3];
  out_meta = areas[4];
  return NULL;
}

static napi_value js_start_datagrams(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!inbox) {
    napi_throw_error(env, NULL, "initDatagrams must come first");
    return NULL;
  }
  receiver_t *r = calloc(1, sizeof *r);
  if (!r) return throw_system_error(env, ENOMEM, "calloc");
  napi_get_value_int32(env, argv[0], &r->fd);
  r->env = env;
  napi_create_reference(env, argv[1], 1, &r->on_batch);
  napi_value resource, name;
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &r->resource);
  napi_create_string_latin1(env, "xinetd-ts:datagrams", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &r->context);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int rc = uv_poll_init(loop, &r->poll, r->fd);
  if (rc != 0) {
    napi_delete_reference(env, r->on_batch);
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
  napi_delete_reference(env, r->on_batch);
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
    {"initDatagrams", NULL, js_init_datagrams, NULL, NULL, NULL, napi_default, NULL},
    {"bindDatagram", NULL, js_bind_datagram, NULL, NULL, NULL, napi_default, NULL},
    {"startDatagrams", NULL, js_start_datagrams, NULL, NULL, NULL, napi_default, NULL},
    {"stopDatagrams", NULL, js_stop_datagrams, NULL, NULL, NULL, napi_default, NULL},
    {"sendDatagram", NULL, js_send_datagram, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
}
