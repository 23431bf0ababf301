import type { Daemon } from '../core/daemon.js';
import { XinetdError } from '../core/errors.js';
import type { SocketType } from '../core/service-config.js';
import type { InternalServiceSpec } from './define.js';

export const INTERNAL_SERVICES_PLUGIN = 'xinetd-ts:internal-services';

/** The internal services one daemon knows, keyed by (name, socket type) as xinetd's table is. */
export class InternalServiceRegistry {
  readonly #byKey = new Map<string, InternalServiceSpec<unknown>>();

  add<Data>(entry: InternalServiceSpec<Data>): void {
    // Each spec's handlers only ever receive the data its own setup returned.
    const spec = entry as unknown as InternalServiceSpec<unknown>;
    for (const type of ['stream', 'dgram'] as const) {
      if (!spec[type]) continue;
      const key = `${spec.name}/${type}`;
      if (this.#byKey.has(key)) {
        throw new XinetdError('XI_ERR_INTERNAL_SERVICE_DUPLICATE', `internal service ${key} is registered twice`);
      }
      this.#byKey.set(key, spec);
    }
  }

  /** Exact, case-sensitive name match (xinetd compares with strcmp). */
  find(name: string, socketType: SocketType): InternalServiceSpec<unknown> | undefined {
    return this.#byKey.get(`${name}/${socketType}`);
  }

  keys(): string[] {
    return [...this.#byKey.keys()];
  }
}

/**
 * Shared through a global symbol, not a module's own map: a plugin that resolves another copy of
 * the package (its own node_modules/xinetd-ts) registers into the daemon's registry all the same,
 * instead of the daemon later reporting `No such internal service` for a service it was given.
 */
const REGISTRIES = Symbol.for('xinetd-ts:internal-service-registries');
const shared = globalThis as { [REGISTRIES]?: WeakMap<Daemon, InternalServiceRegistry> };
const registries = (shared[REGISTRIES] ??= new WeakMap<Daemon, InternalServiceRegistry>());

/** The registry of a daemon, created on first use (plugins may register in any order). */
export function internalServices(daemon: Daemon): InternalServiceRegistry {
  let registry = registries.get(daemon);
  if (!registry) {
    registry = new InternalServiceRegistry();
    registries.set(daemon, registry);
  }
  return registry;
}
