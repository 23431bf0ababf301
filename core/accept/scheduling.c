/*
 * The launcher processes' scheduling policy (core/launcher/launcher-scheduling.ts decides when).
 * Exports:
 *   schedulingPolicy(pid) -> policy (SCHED_OTHER 0, SCHED_BATCH 3, ...) or -errno; 0 is this process
 *   setBatchScheduling(pid, batch) -> 0 or -errno   SCHED_BATCH or SCHED_OTHER, static priority 0
 * Both policies keep the process's nice value.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include "scheduling.h"
#include "sockets.h"

static napi_value js_scheduling_policy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int pid = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1) napi_get_value_int32(env, argv[0], &pid);
  int policy = sched_getscheduler(pid);
  return int32_value(env, policy < 0 ? -errno : policy);
}

static napi_value js_set_batch_scheduling(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int pid = -1;
  bool batch = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0) return int32_value(env, -EINVAL);
  napi_get_value_bool(env, argv[1], &batch);
  struct sched_param param = {0};
  return int32_value(env, sched_setscheduler(pid, batch ? SCHED_BATCH : SCHED_OTHER, &param) == 0 ? 0 : -errno);
}

void register_scheduling(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"schedulingPolicy", NULL, js_scheduling_policy, NULL, NULL, NULL, napi_default, NULL},
    {"setBatchScheduling", NULL, js_set_batch_scheduling, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
}
