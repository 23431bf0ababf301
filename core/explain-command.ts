import { isIP } from 'node:net';
import { readRegularFileSync } from './regular-file.js';
import { nameResolverFor } from '../plugins/access/reverse-lookup.js';
import { parseHostsTable, type HostsTable } from '../plugins/libwrap/hosts-files.js';
import { hostsAccess } from '../plugins/libwrap/hosts-match.js';
import { PatternFiles, wrapRequest } from '../plugins/libwrap/request.js';
import type { Connection } from './connection.js';
import type { Daemon } from './daemon.js';
import type { Refusal } from './refusal.js';
import type { ServiceConfig } from './service-config.js';
import { ServiceState } from './service-state.js';

/**
 * `xinetd-ts explain`: what would happen to a connection from ADDRESS to SERVICE now. It runs
 * the real authorize hook on a synthetic connection (no socket), so every authorize plugin,
 * third-party ones included, is consulted exactly as for a real client. Plugins may say why
 * they admitted with `explainNote`; a refusal's `detail` says why it refused.
 */

const traces = new WeakMap<Connection, { plugin: string; notes: string[] }[]>();

/**
 * Record why an authorize tap let `conn` through (only kept while `explain` runs; free
 * otherwise). Returns undefined so a tap can `return explainNote(conn, ...)` to continue.
 */
/** Whether `explain` is tracing `conn`: build a note's text only then. */
export function explaining(conn: Connection): boolean {
  return traces.has(conn);
}

export function explainNote(conn: Connection, text: string | (() => string)): undefined {
  const trace = traces.get(conn);
  // A function is only called while explaining: the per-connection path builds no text.
  if (trace) trace[trace.length - 1]?.notes.push(typeof text === 'string' ? text : text());
  return undefined;
}

const USAGE = 'Usage: xinetd-ts explain SERVICE ADDRESS [--name HOSTNAME | --no-name] [-f config_file]\n' +
  '       xinetd-ts explain DAEMON[@SERVER] ADDRESS --hosts-allow FILE --hosts-deny FILE [--name HOSTNAME | --no-name]\n' +
  'Exit status: 0 admitted, 1 refused, 2 usage error.\n';

interface ExplainArgs {
  readonly target: string;
  readonly address: string;
  readonly name?: string | null;
  readonly configFile?: string;
  readonly hostsAllow?: string;
  readonly hostsDeny?: string;
}

class ExplainUsage extends Error {}

function parseArgs(argv: readonly string[]): ExplainArgs {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  let name: string | null | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--no-name') name = null;
    else if (['--name', '-f', '--hosts-allow', '--hosts-deny'].includes(a)) {
      const v = argv[++i];
      if (v === undefined) throw new ExplainUsage(`option ${a} needs a value`);
      if (a === '--name') name = v;
      else flags[a] = v;
    } else if (a.startsWith('-')) throw new ExplainUsage(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 2) throw new ExplainUsage('expected SERVICE and ADDRESS');
  const [target, address] = positional as [string, string];
  if (isIP(address) === 0) throw new ExplainUsage(`${address} is not a numeric IPv4 or IPv6 address`);
  if (('--hosts-allow' in flags) !== ('--hosts-deny' in flags)) throw new ExplainUsage('--hosts-allow and --hosts-deny go together');
  if ('--hosts-allow' in flags && '-f' in flags) throw new ExplainUsage('-f cannot be used with --hosts-allow/--hosts-deny');
  return { target, address, name, configFile: flags['-f'], hostsAllow: flags['--hosts-allow'], hostsDeny: flags['--hosts-deny'] };
}

function readTable(path: string): HostsTable {
  try {
    return parseHostsTable(readRegularFileSync(path).toString('utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return parseHostsTable('', path);
    throw new ExplainUsage(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** The address as the daemon would print it for this service (IPv4 clients of dual-stack sockets are mapped). */
function presented(service: ServiceConfig, address: string): string {
  const mapped = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4;
  if (service.family === 'IPv4') return mapped ? address.slice(7) : address;
  return isIP(address) === 4 && service.v6only !== true ? `::ffff:${address}` : address;
}

async function explainHosts(args: ExplainArgs, daemon: Daemon, out: NodeJS.WritableStream): Promise<number> {
  const [daemonName, server] = args.target.split('@') as [string, string | undefined];
  const allow = readTable(args.hostsAllow!);
  const deny = readTable(args.hostsDeny!);
  for (const d of [...allow.diagnostics, ...deny.diagnostics]) out.write(`warning: ${d.at.file}, line ${d.at.line}: ${d.message}\n`);
  const names = nameResolverFor(daemon);
  const request = wrapRequest(daemonName, args.address, server, names, new PatternFiles());
  out.write(`client:   address ${request.client.address}, name ${await request.client.name()}\n`);
  out.write(`server:   process ${daemonName}${server ? `, address ${server}` : ''}\n`);
  const verdict = await hostsAccess(allow, deny, request);
  out.write(`matched:  ${verdict.reason}\n`);
  out.write(`access:   ${verdict.allowed ? 'granted' : 'denied'}\n`);
  return verdict.allowed ? 0 : 1;
}

async function explainService(args: ExplainArgs, daemon: Daemon, out: NodeJS.WritableStream): Promise<number> {
  const config = await daemon.loadConfig();
  const wanted = args.target.toLowerCase();
  const service = config.services.find((s) => s.id.toLowerCase() === wanted) ?? config.services.find((s) => s.name.toLowerCase() === wanted);
  if (!service) {
    const skipped = config.skipped.find((s) => s.id.toLowerCase() === wanted || s.name.toLowerCase() === wanted);
    if (!skipped) throw new ExplainUsage(`no service ${args.target} in the configuration`);
    out.write(`service ${skipped.id} (${skipped.at.file}:${skipped.at.line}) is not started${skipped.reason ? `: ${skipped.reason}` : ''}\nrefused: nothing listens for it\n`);
    return 1;
  }
  const address = presented(service, args.address);
  const host = await nameResolverFor(daemon).lookup(address);
  out.write(`service ${service.id} (${service.at.file}:${service.at.line}), client ${address}, name ${host.name ?? 'unknown'}${host.name && !host.verified ? ' (does not resolve back: paranoid)' : ''}\n`);
  const conn: Connection = {
    id: 0,
    service,
    state: new ServiceState(service),
    peer: { address, port: 0 },
    local: { address: service.bind ?? '', port: service.port },
    startedAt: Date.now(),
  };
  const trace: { plugin: string; notes: string[] }[] = [];
  traces.set(conn, trace);
  const messages: string[] = [];
  daemon.hooks.authorize.intercept({ tap: (tap) => void trace.push({ plugin: tap.name, notes: [] }) });
  daemon.hooks.log.tap('xinetd-ts:explain', (e) => {
    if (e.kind === 'daemon') messages.push(`${e.level}: ${e.message}`);
  });
  const refusal: Refusal | void = await daemon.hooks.authorize.promise(conn);
  for (const [i, step] of trace.entries()) {
    const refusedHere = refusal && i === trace.length - 1;
    const what = refusedHere ? `refused: ${refusal.code}${refusal.detail ? `: ${refusal.detail}` : ''}` : step.notes.join('; ') || 'no objection';
    out.write(`  ${step.plugin}: ${what}\n`);
  }
  for (const m of messages) out.write(`  log ${m}\n`);
  out.write('  (limits such as instances, per_source, cps and max_load, and the running daemon\'s SENSOR list, depend on the running daemon and are not evaluated)\n');
  if (refusal) {
    out.write(`refused: ${refusal.code} by ${refusal.by ?? 'unknown'}${refusal.detail ? `: ${refusal.detail}` : ''}\n`);
    return 1;
  }
  out.write('admitted\n');
  return 0;
}

/** Run `explain`; `makeDaemon` builds a daemon with the built-in plugins (not started). */
export async function runExplain(argv: readonly string[], makeDaemon: (configFile: string | undefined) => Daemon, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  try {
    const args = parseArgs(argv);
    const daemon = makeDaemon(args.configFile);
    if (args.name !== undefined) nameResolverFor(daemon).override(args.address, args.name);
    return await (args.hostsAllow ? explainHosts(args, daemon, out) : explainService(args, daemon, out));
  } catch (error) {
    if (!(error instanceof ExplainUsage)) throw error;
    err.write(`xinetd-ts explain: ${error.message}\n${USAGE}`);
    return 2;
  }
}
