import type { AttributeKey } from '../core/config/attributes.js';
import type { Daemon } from '../core/daemon.js';
import { AuthorizeStage } from '../core/hooks.js';
import { definePlugin } from '../core/plugin.js';
import { refuse } from '../core/refusal.js';
import { tapError } from '../core/tap-errors.js';
import { isInternal, type ServiceConfig } from '../core/service-config.js';
import { addBuiltinServices } from './builtins.js';
import { answersAtOnce, bindService, type Serve } from './launch.js';
import { isLoopback } from './loopback.js';
import { tapPlusReply } from './tcpmux.js';
import { INTERNAL_SERVICES_PLUGIN as PLUGIN_NAME, internalServices } from './registry.js';

/**
 * `type = INTERNAL` services, served inside the daemon: selected by (service name, socket type)
 * at configuration time, answered by one precomputed call per connection.
 */
export default definePlugin(() => ({
  name: PLUGIN_NAME,
  apply(daemon: Daemon) {
    const registry = internalServices(daemon);
    addBuiltinServices(registry);
    daemon.claimInProcess(PLUGIN_NAME, isInternal, {
      answersAtOnce: (service) => answersAtOnce(registry.find(service.name, service.socketType), service.socketType),
    });
    const bound = new WeakMap<ServiceConfig, Serve>();
    const loopbackOnly = new WeakSet<ServiceConfig>();
    let guarding = false;

    daemon.hooks.checkService.tap(PLUGIN_NAME, (service, report) => {
      if (!isInternal(service)) return;
      const spec = registry.find(service.name, service.socketType);
      const missing = `No such internal service: ${service.name}/${service.socketType} - DISABLING`;
      if (!spec) return report.error(missing);
      let data: unknown;
      try {
        data = spec.setup?.(service, daemon, report);
      } catch (error) {
        // A third-party setup's bug disables its service, not the configuration.
        return report.error(`internal service ${spec.name}: setup threw: ${error instanceof Error ? error.message : String(error)} - DISABLING`);
      }
      const serve = bindService(spec, service, daemon, data);
      if (!serve) return report.error(missing);
      bound.set(service, namedAfter(spec.name, serve));
      if (!spec.exposesHost) return;
      report.warn(`Service ${service.id}: the ${service.name} service shows this host's services and servers to its clients`);
      // only_from belongs to the access plugin; a service that sets its own list is governed by it.
      const onlyFrom = daemon.attributes.lookup('only_from') ? ({ name: 'only_from' } as AttributeKey<unknown>) : undefined;
      if (onlyFrom && service.values.has(onlyFrom) && !service.values.inherited(onlyFrom)) return;
      loopbackOnly.add(service);
      if (!guarding) {
        // Tapped on first need only: daemons without such services keep an untouched authorize path.
        guarding = true;
        daemon.hooks.authorize.tap({ name: PLUGIN_NAME, stage: AuthorizeStage.ADDRESS, applies: (s) => loopbackOnly.has(s) }, (conn) =>
          loopbackOnly.has(conn.service) && !isLoopback(conn.peer?.address) ? refuse('address', 'administrative service: loopback clients only') : undefined);
      }
    });

    daemon.hooks.launch.tap({ name: PLUGIN_NAME, applies: (s) => bound.has(s) }, (conn) => bound.get(conn.service)?.(conn));
    tapPlusReply(daemon, PLUGIN_NAME);
  },
}));

/**
 * A handler's exception names the service's own plugin (`internal-service:NAME`, as
 * defineInternalService names it), not this one: the connection is closed either way.
 */
function namedAfter(name: string, serve: Serve): Serve {
  const plugin = `internal-service:${name}`;
  return (conn) => {
    try {
      return serve(conn);
    } catch (thrown) {
      throw tapError(plugin, thrown);
    }
  };
}
