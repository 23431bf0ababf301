import { isIP } from 'node:net';
import { AttributeError, type AttributeKey, type AttributeRegistry } from './config/attributes.js';
import type { NetDb } from './netdb.js';
import type { SocketType } from './service-config.js';

export const CORE = 'core';

const yesNo = (what: string) => (values: readonly string[]): boolean => {
  const v = values[0]!.toLowerCase();
  if (v === 'yes') return true;
  if (v === 'no') return false;
  throw new AttributeError(`${what}: ${values[0]}`);
};

export function parseInteger(text: string, message: string, min = 0): number {
  if (!/^\s*[+-]?\d+\s*$/.test(text)) throw new AttributeError(`${message}: ${text}`);
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < min) throw new AttributeError(`${message}: ${text}`);
  return n;
}

export const SERVICE_TYPES = ['INTERNAL', 'UNLISTED', 'RPC', 'TCPMUX', 'TCPMUXPLUS', 'SPECIAL'] as const;
const SOCKET_TYPES: readonly SocketType[] = ['stream', 'dgram', 'raw', 'seqpacket'];

/** Keys of the attributes the core itself owns. */
export interface CoreKeys {
  readonly id: AttributeKey<string>;
  readonly type: AttributeKey<ReadonlySet<string>>;
  readonly flags: AttributeKey<ReadonlySet<string>>;
  readonly socketType: AttributeKey<SocketType>;
  readonly protocol: AttributeKey<string>;
  readonly wait: AttributeKey<boolean>;
  readonly port: AttributeKey<number>;
  readonly bind: AttributeKey<string>;
  readonly interface: AttributeKey<string>;
  readonly v6only: AttributeKey<boolean>;
  readonly disable: AttributeKey<boolean>;
  readonly disabled: AttributeKey<readonly string[]>;
  readonly enabled: AttributeKey<readonly string[]>;
  readonly plugins: AttributeKey<readonly string[]>;
}

const bindSpec = (name: string) => ({
  name,
  owner: CORE,
  arity: 1,
  where: 'both' as const,
  parse(values: readonly string[]): string {
    const v = values[0]!;
    if (isIP(v) || /^[A-Za-z0-9.-]+$/.test(v)) return v;
    throw new AttributeError('bad address');
  },
  doc: {
    values: 'IPv4 or IPv6 address, or host name',
    default: 'all addresses (dual-stack [::])',
    description: `Address the listening socket is bound to; also selects the address family.${name === 'interface' ? ' Synonym of `bind`.' : ''}`,
  },
});

/** `netdb` gives the current generation's tables (a protocol is looked up as its line is read, as in xinetd). */
export function defineCoreAttributes(registry: AttributeRegistry, netdb: () => NetDb): CoreKeys {
  for (const [name, description] of [
    ['REUSE', 'Accepted for compatibility; SO_REUSEADDR is always set.'],
    ['IPv4', 'Listen on an IPv4 socket.'],
    ['IPv6', 'Listen on an IPv6 socket (dual-stack unless v6only = yes); the default.'],
    ['NODELAY', 'Set TCP_NODELAY on accepted connections.'],
    ['KEEPALIVE', 'Set SO_KEEPALIVE on accepted connections.'],
    ['INTERCEPT', 'Not supported (legacy); cleared with a warning.'],
    ['LABELED', 'Not supported (SELinux MLS); cleared with a warning.'],
  ] as const) {
    registry.defineFlag({ name, owner: CORE, description });
  }
  return {
    id: registry.define({
      name: 'id', owner: CORE, arity: 1, where: 'service',
      parse: (v) => v[0]!,
      doc: { values: 'name', default: 'the service name', description: 'Unique identifier used in log lines, `enabled`/`disabled` and reload matching.' },
    }),
    type: registry.define({
      name: 'type', owner: CORE, arity: 'many', where: 'service',
      parse(values) {
        const types = new Set<string>();
        for (const v of values) {
          const t = v.toUpperCase();
          if (!(SERVICE_TYPES as readonly string[]).includes(t)) throw new AttributeError(`Bad service type: ${v}`, 'warning');
          types.add(t);
        }
        return types;
      },
      doc: { values: 'INTERNAL UNLISTED RPC TCPMUX TCPMUXPLUS', default: 'an external service listed in /etc/services', description: 'Kind of service; several values combine.' },
    }),
    flags: registry.define({
      name: 'flags', owner: CORE, arity: 'many', where: 'service',
      parse(values) {
        const flags = new Set<string>();
        for (const v of values) {
          const spec = registry.flag(v);
          if (!spec) throw new AttributeError(`Bad service flag: ${v}`, 'warning');
          flags.add(spec.name.toUpperCase());
        }
        return flags;
      },
      doc: { values: 'flag words (see the flag table)', default: 'none', description: 'Service flags; all on one line (a second `flags` line is ignored, as in xinetd).' },
    }),
    socketType: registry.define<SocketType>({
      name: 'socket_type', owner: CORE, arity: 1, where: 'service',
      parse(values) {
        const v = values[0]!.toLowerCase() as SocketType;
        if (!SOCKET_TYPES.includes(v)) throw new AttributeError(`Bad socket type: ${values[0]}`);
        return v;
      },
      doc: { values: 'stream | dgram', default: 'inferred from protocol', description: 'Socket type (raw and seqpacket are parsed but not served).' },
    }),
    protocol: registry.define({
      name: 'protocol', owner: CORE, arity: 1, where: 'service',
      parse(v) {
        if (!netdb().hasProtocol(v[0]!)) throw new AttributeError(`Protocol ${v[0]} not in /etc/protocols`);
        return v[0]!.toLowerCase();
      },
      doc: { values: 'tcp | udp (a name from /etc/protocols)', default: 'inferred from socket_type', description: 'Transport protocol.' },
    }),
    wait: registry.define({
      name: 'wait', owner: CORE, arity: 1, where: 'service',
      parse: yesNo('Bad value for wait'),
      doc: { values: 'yes | no', default: 'required', description: 'yes: the server gets the listening socket and the daemon waits for it to exit; no: one server per connection.' },
    }),
    port: registry.define({
      name: 'port', owner: CORE, arity: 1, where: 'service',
      parse(v) {
        // xinetd's words, without the value (it names none here).
        const n = /^\s*\+?\d+\s*$/.test(v[0]!) ? Number(v[0]!.trim()) : Number.NaN;
        if (!(n <= 65535)) throw new AttributeError('port number is invalid');
        return n;
      },
      doc: { values: '0-65535', default: 'the /etc/services entry', description: 'Port to listen on; must match /etc/services unless the service is UNLISTED.' },
    }),
    bind: registry.define(bindSpec('bind')),
    interface: registry.define(bindSpec('interface')),
    v6only: registry.define({
      name: 'v6only', owner: CORE, arity: 1, where: 'both',
      parse: yesNo('Bad value for v6only'),
      doc: { values: 'yes | no', default: 'no (dual-stack)', description: 'yes: the IPv6 socket refuses IPv4 clients. `no` keeps dual-stack (xinetd 2.3.15 makes it IPv6-only; see compatibility.md).' },
    }),
    disable: registry.define({
      name: 'disable', owner: CORE, arity: 1, where: 'service',
      parse: yesNo('Bad value'),
      doc: { values: 'yes | no', default: 'no', description: '`yes` drops the entry silently; the rest of it is not read.' },
    }),
    disabled: registry.define({
      name: 'disabled', owner: CORE, arity: 'list', where: 'defaults', inherit: 'none',
      parse: (v) => [...v],
      doc: { values: 'service ids', default: 'none', description: 'Defaults only: services with these ids are not started.' },
    }),
    enabled: registry.define({
      name: 'enabled', owner: CORE, arity: 'list', where: 'defaults', inherit: 'none',
      parse: (v) => [...v],
      doc: { values: 'service ids', default: 'all services', description: 'Defaults only: when present, only services with these ids start.' },
    }),
    plugins: registry.define({
      name: 'plugins', owner: CORE, arity: 'list', where: 'defaults', inherit: 'none',
      parse: (v) => [...v],
      doc: { values: 'npm package names or paths relative to the file', default: 'none', description: 'xinetd-ts only: third-party plugins to load (a reload cannot change this list).' },
    }),
  };
}
