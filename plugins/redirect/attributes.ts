import { isIP } from 'node:net';
import { AttributeError, type AttributeKey, type AttributeRegistry } from '../../core/config/attributes.js';
import { DUMP_STAGE } from '../../core/config/attribute-dump.js';
import { parseInteger } from '../../core/core-attributes.js';
import type { NetDb } from '../../core/netdb.js';

export const PLUGIN_NAME = 'xinetd-ts:redirect';

/** One `HOST PORT` pair of `redirect`, as written (names are resolved later). */
export interface RedirectTarget {
  readonly host: string;
  readonly port: number;
}

export interface RedirectKeys {
  readonly redirect: AttributeKey<readonly RedirectTarget[]>;
  readonly timeout: AttributeKey<number>;
}

/** Default connect timeout per target, seconds (xinetd has none: the kernel's ~2 minutes). */
export const DEFAULT_CONNECT_TIMEOUT = 10;

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

export function defineRedirectAttributes(registry: AttributeRegistry, netdb: () => NetDb): RedirectKeys {
  return {
    redirect: registry.define({
      name: 'redirect', owner: PLUGIN_NAME, arity: 'many', where: 'service',
      parse(values) {
        if (values.length % 2 !== 0) throw new AttributeError('redirect needs HOST PORT pairs');
        const targets: RedirectTarget[] = [];
        for (let i = 0; i < values.length; i += 2) {
          const host = values[i]!;
          const portText = values[i + 1]!;
          if (!isIP(host) && !HOST_NAME.test(host)) throw new AttributeError(`bad redirect host: ${host}`);
          // xinetd's words for a port it cannot read (a service name is looked up, as it does).
          const port = /^\d+$/.test(portText) ? Number(portText) : netdb().servicePort(portText, 'tcp');
          if (port === undefined || port < 1 || port > 65535) throw new AttributeError('port number invalid');
          targets.push(Object.freeze({ host, port }));
        }
        return Object.freeze(targets);
      },
      doc: {
        values: 'HOST PORT [HOST PORT ...]',
        default: 'none',
        description: 'Proxy each TCP connection to HOST PORT instead of running a server. Several pairs: tried in order, a target that refuses or times out is skipped (failover).',
      },
      dump: { stage: DUMP_STAGE.SERVER, lines: (targets) => (targets ? [`Redirect =${targets.map((t) => ` ${t.host}:${t.port}`).join('')}`] : []) },
    }),
    timeout: registry.define({
      name: 'redirect_timeout', owner: PLUGIN_NAME, arity: 1, where: 'both',
      parse: (values) => parseInteger(values[0]!, 'bad redirect_timeout', 1),
      default: DEFAULT_CONNECT_TIMEOUT,
      doc: { values: 'seconds', default: `${DEFAULT_CONNECT_TIMEOUT}`, description: 'xinetd-ts only: how long a `redirect` target may take to accept before the next one is tried.' },
    }),
  };
}
