/* The datagram half of acceptor.node (core/accept/datagrams.c). */
#ifndef XINETD_TS_DATAGRAMS_H
#define XINETD_TS_DATAGRAMS_H
#include <node_api.h>

void register_datagrams(napi_env env, napi_value exports);

#endif
