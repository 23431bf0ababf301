import type { Daemon } from '../../core/daemon.js';
import type { BoundSocket } from '../../core/hooks.js';
import { definePlugin } from '../../core/plugin.js';
import type { ServiceConfig } from '../../core/service-config.js';
import { defineRpcAttributes, PLUGIN_NAME, type VersionRange } from './attributes.js';
import { Registrations } from './registrations.js';
import { RpcbindClient, universalAddress, type RpcbindEntry } from './rpcbind-client.js';

export interface RpcOptions {
  /** rpcbind's local socket (libtirpc's path by default). */
  readonly rpcbindSocket?: string;
  /** How long one call to rpcbind may take, ms. */
  readonly timeoutMs?: number;
}

/** What a checked RPC service registers: its program, versions and transport. */
interface RpcPlan {
  readonly program: number;
  readonly versions: VersionRange;
  readonly protocol: 'tcp' | 'udp';
}

/**
 * `type = RPC`: an ONC RPC service on a port the kernel chooses, registered with rpcbind for
 * each version of `rpc_version` while the service is active, as xinetd's pmap_set does.
 */
export default definePlugin((options: RpcOptions = {}) => ({
  name: PLUGIN_NAME,
  apply(daemon: Daemon) {
    const keys = defineRpcAttributes(daemon.attributes);
    const plans = new WeakMap<ServiceConfig, RpcPlan>();
    const client = new RpcbindClient(options.rpcbindSocket ?? process.env.XINETD_TS_RPCBIND_SOCKET, options.timeoutMs);
    const registrations = new Registrations(client, (result) => {
      // xinetd's lines, word for word; the reason (which xinetd never says) on a line of its own.
      for (const { entry } of result.failed) daemon.message('error', `pmap_set failed. service=${result.service} program=${entry.program} version=${entry.version}`);
      if (result.held === 0) daemon.message('error', `No versions registered for RPC service ${result.service}`);
      else daemon.message('debug', `Registered ${result.held} versions of ${result.service}`);
      const why = [...new Set(result.failed.map((f) => f.why))].join('; ');
      if (why) daemon.message('warning', `${result.service}: rpcbind (${client.socketPath}): ${why}; a reload (SIGHUP) tries the registration again`);
    });

    daemon.hooks.checkService.tap(PLUGIN_NAME, (service, report) => {
      if (!service.types.has('RPC')) return;
      const id = service.id;
      if (service.types.has('TCPMUX') || service.types.has('TCPMUXPLUS')) return report.error(`Service ${id}: type RPC cannot be a tcpmux service`);
      let program: number | undefined;
      if (service.types.has('UNLISTED')) {
        program = service.values.get(keys.number);
        if (program === undefined) return report.error(`Service ${id} missing attribute rpc_number - DISABLING`);
      } else {
        program = daemon.netdb.rpcProgram(service.name);
        if (program === undefined) return report.error(`unknown RPC service: ${service.name}`);
      }
      const versions = service.values.get(keys.version);
      if (!versions) return report.error(`Service ${id} missing attribute rpc_version - DISABLING`);
      if (service.protocol !== 'tcp' && service.protocol !== 'udp') return report.error(`Service ${id}: RPC needs protocol tcp or udp, not ${service.protocol}`);
      plans.set(service, { program, versions, protocol: service.protocol });
    });

    daemon.hooks.activated.tap(PLUGIN_NAME, (service, socket) => {
      const plan = plans.get(service);
      if (plan) registrations.want(service.identity, service.id, entriesOf(plan, socket));
    });
    daemon.hooks.deactivated.tap(PLUGIN_NAME, (service) => {
      if (plans.has(service)) registrations.want(service.identity, service.id, []);
    });
    daemon.hooks.close.tapPromise(PLUGIN_NAME, () => registrations.settled());
  },
}));

/** One entry per version, on the transport's IPv4 netid at every address, as xinetd registers. */
function entriesOf(plan: RpcPlan, socket: BoundSocket): RpcbindEntry[] {
  const entries: RpcbindEntry[] = [];
  for (let version = plan.versions.low; version <= plan.versions.high; version++) {
    entries.push({ program: plan.program, version, netid: plan.protocol, address: universalAddress('IPv4', socket.port) });
  }
  return entries;
}
