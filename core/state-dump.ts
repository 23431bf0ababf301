import { readdir, readFile } from 'node:fs/promises';
import { DUMP_STAGE, type DumpContext } from './config/attribute-dump.js';
import type { AttributeKey, AttributeRegistry } from './config/attributes.js';
import type { Endpoint } from './connection.js';
import { CORE } from './core-attributes.js';
import { ctime } from './ctime.js';
import type { NetDb } from './netdb.js';
import type { AttributeValues, ServiceConfig } from './service-config.js';

/** One running server (a counted session) of a service. */
export interface DumpedServer {
  /** 0 for sessions served inside the daemon. */
  readonly pid: number;
  readonly startedAt: number;
  readonly peer: Endpoint | undefined;
}

export interface DumpedService {
  readonly config: ServiceConfig;
  readonly suspended: boolean;
  /** The bound port (the configured one when the socket is held elsewhere). */
  readonly port: number;
  readonly running: number;
  readonly sources: ReadonlyMap<string, number>;
  readonly servers: readonly DumpedServer[];
}

/** What a dump of the configuration needs. */
export interface ConfigDumpInput {
  readonly registry: AttributeRegistry;
  readonly netdb: NetDb;
  readonly defaults: AttributeValues | undefined;
}

/** Everything the dump shows, gathered by the daemon when SIGUSR1 arrives (never before). */
export interface StateDumpInput extends ConfigDumpInput {
  readonly version: string;
  readonly now: Date;
  readonly services: readonly DumpedService[];
  readonly runningServers: number;
  readonly processLimit: number | undefined;
  readonly configFile: string | undefined;
  readonly descriptors: { readonly max: number; readonly open: number } | undefined;
}

/** xinetd's table orders, for the words it knows; other words follow in their own order. */
const FLAG_ORDER = ['REUSE', 'INTERCEPT', 'NORETRY', 'IDONLY', 'NAMEINARGS', 'NODELAY', 'KEEPALIVE', 'NOLIBWRAP', 'SENSOR', 'IPV4', 'IPV6'];
const TYPE_ORDER = ['RPC', 'INTERNAL', 'UNLISTED', 'SPECIAL', 'TCPMUX', 'TCPMUXPLUS'];

function inOrder(words: Iterable<string>, order: readonly string[]): string[] {
  const rank = (w: string) => {
    const i = order.indexOf(w.toUpperCase());
    return i < 0 ? order.length : i;
  };
  return [...words].sort((a, b) => rank(a) - rank(b));
}

/** A value without a dump of its own, on one line. */
function plain(value: unknown): string {
  if (value === Number.POSITIVE_INFINITY) return 'UNLIMITED';
  if (value instanceof Set || Array.isArray(value)) {
    const items = [...(value as Iterable<unknown>)];
    if (items.every((x) => typeof x !== 'object' || x === null)) return items.join(' ');
  }
  if (typeof value !== 'object' || value === null) return String(value);
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Set ? [...v] : v));
}

interface Section {
  readonly stage: number;
  readonly lines: readonly string[];
}

/** The core's own facts, read from the resolved service (effective values). */
function coreSections(c: ServiceConfig, port: number, netdb: NetDb): Section[] {
  const identity = [`id = ${c.id}`];
  // xinetd shows the address family it chose as a flag.
  const flags = new Set(c.flags);
  if (![...flags].some((f) => f.toUpperCase() === c.family.toUpperCase())) flags.add(c.family);
  identity.push(`flags = ${inOrder(flags, FLAG_ORDER).join(' ')}`);
  if (c.types.size > 0) identity.push(`type = ${inOrder(c.types, TYPE_ORDER).join(' ')}`);
  identity.push(`socket_type = ${c.socketType}`);
  identity.push(`Protocol (name,number) = (${c.protocol},${netdb.protocolNumber(c.protocol) ?? -1})`);
  // An RPC service's port is the kernel's choice: xinetd shows it only where one was written.
  if (port !== 0 && (!c.types.has('RPC') || c.values.has({ name: 'port' }))) identity.push(`port = ${port}`);
  return [
    { stage: DUMP_STAGE.IDENTITY, lines: identity },
    { stage: DUMP_STAGE.WAIT, lines: [`wait = ${c.wait ? 'yes' : 'no'}`] },
    { stage: DUMP_STAGE.BIND, lines: [bindLine(c.bind)] },
  ];
}

/** Numeric, as configured: the dump does no DNS (xinetd prints the reverse-resolved name). */
const bindLine = (bind: string | undefined) => `Bind = ${bind ?? 'All addresses.'}`;

/** Every plugin-owned attribute, through its own dump lines or as `name = value`. */
function attributeSections(registry: AttributeRegistry, ctx: DumpContext): Section[] {
  const sections: Section[] = [];
  for (const spec of registry.attributes()) {
    if (spec.owner === CORE) continue;
    if (!ctx.service && spec.where === 'service') continue;
    const key: AttributeKey<unknown> = { name: spec.name };
    const set = ctx.values.has(key);
    if (spec.dump) {
      if (set || spec.dump.always) sections.push({ stage: spec.dump.stage, lines: spec.dump.lines(ctx.values.get(key), ctx) });
    } else if (set) {
      sections.push({ stage: DUMP_STAGE.OTHER, lines: [`${spec.name} = ${plain(ctx.values.get(key))}`] });
    }
  }
  return sections;
}

/** Sections in stage order (stable: same stage keeps registration order), indented. */
function block(sections: Section[], tabs: number): string[] {
  const indent = '\t'.repeat(tabs);
  return sections.sort((a, b) => a.stage - b.stage).flatMap((s) => s.lines.map((l) => indent + l));
}

/** The attributes of the `defaults` entry, indented. */
function defaultsLines(defaults: AttributeValues, input: ConfigDumpInput, tabs: number): string[] {
  const ctx: DumpContext = { values: defaults, service: undefined, netdb: input.netdb };
  const bind = defaults.get<string>({ name: 'bind' });
  return block([{ stage: DUMP_STAGE.BIND, lines: [bindLine(bind)] }, ...attributeSections(input.registry, ctx)], tabs);
}

/** The attributes of one service (its `Service configuration` body), indented. */
function configLines(config: ServiceConfig, port: number, input: ConfigDumpInput, tabs: number): string[] {
  const ctx: DumpContext = { values: config.values, service: config, netdb: input.netdb };
  return block([...coreSections(config, port, input.netdb), ...attributeSections(input.registry, ctx)], tabs);
}

function serviceBlock(svc: DumpedService, input: StateDumpInput): string[] {
  const lines = [
    `Service = ${svc.config.name}`,
    `\tState = ${svc.suspended ? 'Suspended' : 'Active'}`,
    `\tService configuration: ${svc.config.name}`,
    ...configLines(svc.config, svc.port, input, 2),
    `\trunning servers = ${svc.running}`,
  ];
  // xinetd-ts: live sessions per client, what per_source counts against.
  for (const [source, n] of svc.sources) lines.push(`\tsessions from ${source} = ${n}`);
  lines.push('');
  return lines;
}

function serverTable(services: readonly DumpedService[]): string[] {
  const lines = ['Server table dump:'];
  for (const svc of services) {
    for (const server of svc.servers) {
      lines.push(
        `${svc.config.id} server`,
        server.pid === 0 ? 'pid = 0 (served inside the daemon)' : `pid = ${server.pid}`,
        `start_time = ${ctime(new Date(server.startedAt))}`,
        'Connection info:',
        `\tservice = ${svc.config.id}`,
        `\tremote_address = ${server.peer ? `${server.peer.address},${server.peer.port}` : '<no address>'}`,
        '',
      );
    }
  }
  lines.push('');
  return lines;
}

/**
 * The SIGUSR1 dump in xinetd's layout and labels (reference 16.2): header, defaults, one block
 * per service, the server table, the daemon's counters. xinetd's retry table, socket mask and
 * service fds have no counterpart here and are left out (docs/lifecycle.md).
 */
export function renderStateDump(input: StateDumpInput): string {
  const lines = [`INTERNAL STATE DUMP: xinetd-ts ${input.version}`, `Current time: ${ctime(input.now)}`, '', 'Services + defaults:'];
  if (input.defaults) lines.push('Service defaults', ...defaultsLines(input.defaults, input, 1));
  for (const svc of input.services) lines.push(...serviceBlock(svc, input));
  lines.push(...serverTable(input.services));
  const active = input.services.filter((s) => !s.suspended).length;
  lines.push(`active_services = ${active}`, `available_services = ${input.services.length}`);
  if (input.descriptors) lines.push(`descriptors_free = ${input.descriptors.max - input.descriptors.open}`);
  lines.push(`running_servers = ${input.runningServers}`, '');
  if (input.descriptors) lines.push(`max_descriptors = ${input.descriptors.max}`);
  lines.push(`process_limit = ${input.processLimit ?? 0}`);
  if (input.configFile) lines.push(`config_file = ${input.configFile}`);
  lines.push('', 'END OF DUMP', '', '');
  return lines.join('\n');
}

/**
 * What `-d` shows of each configuration read (at start and on every reload), in xinetd's
 * layout: `Service defaults`, then a `Service configuration: NAME` block per service, each body
 * one tab in and followed by a blank line (the same lines as the SIGUSR1 dump).
 */
export function renderConfigDump(input: ConfigDumpInput & { readonly services: readonly ServiceConfig[] }): string {
  const lines = ['Service defaults', ...(input.defaults ? defaultsLines(input.defaults, input, 1) : []), ''];
  for (const config of input.services) lines.push(`Service configuration: ${config.name}`, ...configLines(config, config.port, input, 1), '');
  return `${lines.join('\n')}\n`;
}

/** The daemon's descriptor limit and use (Linux /proc); undefined elsewhere. */
export async function descriptorUse(): Promise<{ max: number; open: number } | undefined> {
  try {
    const limits = await readFile('/proc/self/limits', 'latin1');
    const m = /^Max open files\s+(\d+)/m.exec(limits);
    if (!m) return undefined;
    return { max: Number(m[1]), open: (await readdir('/proc/self/fd')).length };
  } catch {
    return undefined;
  }
}
