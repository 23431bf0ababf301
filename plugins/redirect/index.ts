import type { AttributeKey } from '../../core/config/attributes.js';
import type { Daemon } from '../../core/daemon.js';
import { definePlugin } from '../../core/plugin.js';
import type { ServiceConfig } from '../../core/service-config.js';
import { defineRedirectAttributes, PLUGIN_NAME } from './attributes.js';
import { RedirectPlan } from './plan.js';
import { proxy } from './proxy.js';
import { resolveNumeric } from './targets.js';

/** `redirect = HOST PORT [HOST PORT ...]`: a TCP proxy served inside the daemon, with failover. */
export default definePlugin(() => ({
  name: PLUGIN_NAME,
  apply(daemon: Daemon) {
    const keys = defineRedirectAttributes(daemon.attributes, () => daemon.netdb);
    const plans = new WeakMap<ServiceConfig, RedirectPlan>();
    daemon.claimInProcess(PLUGIN_NAME, (service) => service.values.has(keys.redirect));

    daemon.hooks.checkService.tap(PLUGIN_NAME, (service, report) => {
      const success = daemon.attributes.lookup('log_on_success') ? service.values.get({ name: 'log_on_success' } as AttributeKey<ReadonlySet<string>>) : undefined;
      const traffic = success?.has('TRAFFIC') === true;
      const targets = service.values.get(keys.redirect);
      if (!targets) {
        if (traffic) report.warn(`Service ${service.id}: TRAFFIC in log_on_success applies to redirect services only; ignored`);
        return;
      }
      if (service.socketType !== 'stream' || service.protocol !== 'tcp' || service.wait) return report.error(`Service ${service.id}: redirect needs socket_type stream, protocol tcp and wait = no`);
      if (service.types.has('INTERNAL')) return report.error(`Service ${service.id}: redirect cannot be used with type INTERNAL`);
      if (service.flags.has('NAMEINARGS')) return report.error(`Service ${service.id}: NAMEINARGS cannot be used with redirect`);
      const log = (message: string) => daemon.message('error', message);
      const options = { id: service.id, timeoutMs: (service.values.get(keys.timeout) ?? 10) * 1000, keepAlive: service.flags.has('KEEPALIVE'), traffic, log };
      plans.set(service, new RedirectPlan(service.id, targets, service.bind, options, resolveNumeric(targets, service.bind)));
    });

    // Host names are resolved when a configuration comes into force, not on the connection path.
    const resolveNames = async () => {
      for (const service of daemon.config?.services ?? []) await plans.get(service)?.current(daemon);
    };
    daemon.hooks.ready.tapPromise(PLUGIN_NAME, resolveNames);
    daemon.hooks.reloaded.tapPromise(PLUGIN_NAME, resolveNames);

    // Callback style: services without redirect pass on synchronously.
    daemon.hooks.launch.tapAsync({ name: PLUGIN_NAME, applies: (s) => plans.has(s) }, (conn, _spec, callback) => {
      const plan = plans.get(conn.service);
      if (!plan || conn.datagram || conn.waiting || !conn.socket) return callback(null);
      const socket = conn.socket;
      const from = conn.peer?.address;
      if (plan.resolved) return callback(null, proxy(socket, plan.resolved, plan.options, from));
      plan.current(daemon).then((targets) => callback(null, proxy(socket, targets, plan.options, from)), (error: Error) => callback(error));
    });
  },
}));
