/* The launchers' scheduling policy, set from the daemon (core/accept/scheduling.c). */
#ifndef XINETD_TS_SCHEDULING_H
#define XINETD_TS_SCHEDULING_H
#include <node_api.h>

void register_scheduling(napi_env env, napi_value exports);

#endif
