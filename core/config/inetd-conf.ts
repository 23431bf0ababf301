/**
 * inetd.conf support (reference §17): `parseInetdConf` is the `-inetd_compat` layer (entries
 * become RawSections with origin 'inetd'), `itox` converts inetd.conf text to xinetd.conf text.
 *
 * inetd.conf line: `name socktype proto wait[.max] user[.group|:group] server argv0 args...`.
 *
 * Deliberate differences from xinetd 2.3.15.3's built-in converter:
 * - internal entries get id `NAME-SOCKTYPE` with their real socket type (xinetd's comparison
 *   bug gives every one of them `-dgram`);
 * - an internal `discard` is accepted (xinetd rejects it, also a bug);
 * - RPC entries (`NAME/VERSIONS ... rpc/PROTO`) are skipped as xinetd skips them, but with a
 *   warning (xinetd says nothing); itox converts them to `type = RPC` services;
 * - `tcp4`/`udp4`/`tcp6`/`udp6` protocols become `tcp`/`udp` plus the IPv4/IPv6 flag.
 */
import { textFromBytes } from '../raw-text.js';
import path from 'node:path';
import { readRegularFileSync } from '../regular-file.js';
import type { Diagnostic, RawEntry, RawSection, SourceLocation } from './raw.js';
import { MAX_LINE_BYTES } from './xinetd-conf.js';

/** One inetd.conf line, split into its fields. */
export interface InetdLine {
  readonly name: string;
  readonly socketType: string;
  readonly protocol: string;
  /** The IPv4/IPv6 flag implied by a `tcp6`-style protocol. */
  readonly ipFlag?: 'IPv4' | 'IPv6';
  readonly wait: 'yes' | 'no';
  /** True when a `.max` suffix was dropped from the wait field. */
  readonly maxDropped: boolean;
  readonly user: string;
  readonly group?: string;
  /** `internal`, or the server path. */
  readonly server: string;
  /** argv including argv0 (empty for internal entries). */
  readonly argv: readonly string[];
  /** An RPC entry's `rpc_version` (the text after `/` in its name). */
  readonly rpcVersions?: string;
}

export type InetdParse =
  | { readonly kind: 'entry'; readonly entry: InetdLine }
  | { readonly kind: 'skip' }
  | { readonly kind: 'rpc'; readonly name: string; readonly entry: InetdLine }
  | { readonly kind: 'bad'; readonly message: string };

/** Classifies one line of inetd.conf. */
export function parseInetdLine(text: string): InetdParse {
  const line = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (/^\s*$/.test(line) || /^\s*#/.test(line)) return { kind: 'skip' };
  // xinetd.conf's limit: itox's output has to be read back, and an entry is no bigger than a line.
  if (Buffer.byteLength(line) > MAX_LINE_BYTES) return { kind: 'bad', message: `line too long (more than ${MAX_LINE_BYTES} bytes); ignored` };
  const [name, socketType, proto, waitField, owner, server, ...argv] = line.split(/[ \t]+/).filter((t) => t !== '');
  if (server === undefined || name === undefined || socketType === undefined || proto === undefined) {
    return { kind: 'bad', message: `inetd.conf line has fewer than 6 fields: ${line.trim()}` };
  }
  // The protocol says RPC; a `/suffix` on another entry's name is dropped, as xinetd drops it.
  const rpc = proto.toLowerCase().startsWith('rpc');
  const wait = parseWait(waitField ?? '');
  if (wait === undefined) return { kind: 'bad', message: `bad wait field "${waitField ?? ''}" for ${name}` };
  const { protocol, ipFlag } = splitProtocol(rpc ? proto.replace(/^rpc\//i, '') : proto);
  const { user, group } = splitOwner(owner ?? '');
  const slash = name.indexOf('/');
  const entry: InetdLine = {
    name: slash > 0 ? name.slice(0, slash) : name, socketType, protocol, wait: wait.value, maxDropped: wait.maxDropped, user, server, argv,
    ...(ipFlag ? { ipFlag } : {}), ...(group !== undefined ? { group } : {}), ...(rpc && slash > 0 ? { rpcVersions: name.slice(slash + 1) } : {}),
  };
  return rpc ? { kind: 'rpc', name, entry } : { kind: 'entry', entry };
}

function parseWait(field: string): { value: 'yes' | 'no'; maxDropped: boolean } | undefined {
  const base = field.replace(/[./].*$/, '').toLowerCase();
  const maxDropped = base !== field.toLowerCase();
  if (base === 'wait') return { value: 'yes', maxDropped };
  if (base === 'nowait') return { value: 'no', maxDropped };
  return undefined;
}

function splitProtocol(proto: string): { protocol: string; ipFlag?: 'IPv4' | 'IPv6' } {
  const match = /^(tcp|udp)([46])$/i.exec(proto);
  if (!match) return { protocol: proto };
  return { protocol: (match[1] ?? '').toLowerCase(), ipFlag: match[2] === '6' ? 'IPv6' : 'IPv4' };
}

function splitOwner(owner: string): { user: string; group?: string } {
  const sep = owner.includes(':') ? ':' : '.';
  const at = owner.indexOf(sep);
  if (at < 0) return { user: owner };
  return { user: owner.slice(0, at), group: owner.slice(at + 1) };
}

function isInternal(entry: InetdLine): boolean {
  return entry.server === 'internal';
}

// ---------------------------------------------------------------------------------------------
// -inetd_compat

/** Reads inetd.conf the way `-inetd_compat` does. A missing file yields nothing. */
export function parseInetdConf(file: string): { sections: RawSection[]; diagnostics: Diagnostic[] } {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = textFromBytes(readRegularFileSync(abs));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { sections: [], diagnostics: [] };
    return { sections: [], diagnostics: [{ level: 'error', message: `Unable to read ${abs}: ${(cause as Error).message}`, at: { file: abs, line: 1 } }] };
  }
  return parseInetdText(text, abs);
}

export function parseInetdText(text: string, file: string): { sections: RawSection[]; diagnostics: Diagnostic[] } {
  const sections: RawSection[] = [];
  const diagnostics: Diagnostic[] = [];
  text.split('\n').forEach((lineText, index) => {
    const at = { file, line: index + 1 };
    const parsed = parseInetdLine(lineText);
    if (parsed.kind === 'skip') return;
    if (parsed.kind === 'bad') diagnostics.push({ level: 'warning', message: parsed.message, at });
    else if (parsed.kind === 'rpc') diagnostics.push(rpcWarning(parsed.name, at));
    else {
      sections.push(compatSection(parsed.entry, at));
      // xinetd names each entry it took from inetd.conf.
      diagnostics.push({ level: 'debug', message: `added service ${parsed.entry.name}`, at, service: parsed.entry.name });
    }
  });
  return { sections, diagnostics };
}

function rpcWarning(name: string, at: SourceLocation): Diagnostic {
  return { level: 'warning', message: `inetd.conf entry ${name} is an RPC service: skipped, as xinetd skips it (write it as a type = RPC service)`, at, service: name };
}

function compatSection(entry: InetdLine, at: SourceLocation): RawSection {
  const pairs = compatAttributes(entry);
  const entries: RawEntry[] = pairs.map(([attr, values]) => ({ attr, op: '=', values, at }));
  return { kind: 'service', name: entry.name, entries, at, origin: 'inetd' };
}

type Pair = readonly [string, readonly string[]];

/** Like xinetd's converter: groups = yes; external: NAMEINARGS NOLIBWRAP REUSE and the full argv. */
function compatAttributes(entry: InetdLine): Pair[] {
  const flags = [...(isInternal(entry) ? [] : ['NAMEINARGS', 'NOLIBWRAP', 'REUSE']), ...(entry.ipFlag ? [entry.ipFlag] : [])];
  const pairs: Pair[] = commonAttributes(entry);
  pairs.push(['groups', ['yes']]);
  if (flags.length > 0) pairs.push(['flags', flags]);
  if (!isInternal(entry)) {
    // NAMEINARGS needs server_args; an inetd line without argv0 gets the server's basename.
    const argv = entry.argv.length > 0 ? entry.argv : [path.basename(entry.server)];
    pairs.push(['server', [entry.server]], ['server_args', argv]);
  }
  return pairs;
}

/** id/type (internal), socket_type, protocol, wait, user, group. */
function commonAttributes(entry: InetdLine): Pair[] {
  const pairs: Pair[] = [];
  if (isInternal(entry)) pairs.push(['id', [`${entry.name}-${entry.socketType}`]], ['type', ['INTERNAL']]);
  pairs.push(
    ['socket_type', [entry.socketType]],
    ['protocol', [entry.protocol]],
    ['wait', [entry.wait]],
    ['user', [entry.user]],
  );
  if (entry.group !== undefined) pairs.push(['group', [entry.group]]);
  return pairs;
}

// ---------------------------------------------------------------------------------------------
// itox

export interface ItoxOptions {
  /** Directory holding the daemons that tcpd would run (itox's `-daemon_dir`). */
  readonly daemonDir?: string;
}

/** Converts inetd.conf text to xinetd.conf text, one `service` block per entry. */
export function itox(inetdConfText: string, options: ItoxOptions = {}): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  const blocks: string[] = ['# Converted from inetd.conf by xinetd-ts itox'];
  inetdConfText.split('\n').forEach((lineText, index) => {
    const where = `line ${index + 1}`;
    const parsed = parseInetdLine(lineText);
    if (parsed.kind === 'skip') return;
    if (parsed.kind === 'bad') {
      warnings.push(`${where}: ${parsed.message}`);
      blocks.push(`# skipped (${parsed.message}): ${lineText.trim()}`);
    } else {
      const pairs = itoxAttributes(parsed.entry, options, (w) => warnings.push(`${where}: ${w}`));
      const block = renderBlock(parsed.entry, parsed.kind === 'rpc' ? rpcAttributes(parsed.entry, pairs) : pairs);
      if (block.split('\n').every((l) => Buffer.byteLength(l) <= MAX_LINE_BYTES)) blocks.push(block);
      else {
        // `server = DIR/argv0` can outgrow the line it came from: xinetd.conf would not read it.
        const message = `the service for ${parsed.entry.name.slice(0, 64)} would have a line longer than ${MAX_LINE_BYTES} bytes`;
        warnings.push(`${where}: ${message}`);
        blocks.push(`# skipped (${message})`);
      }
    }
  });
  return { text: `${blocks.join('\n\n')}\n`, warnings };
}

/** itox semantics: argv0 dropped, no NAMEINARGS, tcpd replaced by the daemon it wraps. */
function itoxAttributes(entry: InetdLine, options: ItoxOptions, warn: (message: string) => void): Pair[] {
  if (entry.maxDropped) warn(`the .max suffix of the wait field of ${entry.name} was dropped`);
  const pairs = commonAttributes(entry);
  if (entry.ipFlag) pairs.push(['flags', [entry.ipFlag]]);
  if (isInternal(entry)) return pairs;
  const [argv0, ...args] = entry.argv;
  pairs.push(['server', [serverPath(entry, argv0, options, warn)]]);
  if (args.length > 0) pairs.push(['server_args', args]);
  return pairs;
}

/** An RPC entry's block: `type = RPC` and its versions first, then the usual attributes. */
function rpcAttributes(entry: InetdLine, pairs: readonly Pair[]): Pair[] {
  const rpc: Pair[] = [['type', ['RPC']]];
  if (entry.rpcVersions) rpc.push(['rpc_version', [entry.rpcVersions]]);
  return [...rpc, ...pairs];
}

function serverPath(entry: InetdLine, argv0: string | undefined, options: ItoxOptions, warn: (m: string) => void): string {
  if (path.basename(entry.server) !== 'tcpd' || argv0 === undefined) return entry.server;
  if (path.isAbsolute(argv0)) return argv0;
  if (options.daemonDir !== undefined) return path.join(options.daemonDir, argv0);
  warn(`${entry.name} runs through tcpd but no daemon directory was given; server = ${argv0} is not absolute`);
  return argv0;
}

function renderBlock(entry: InetdLine, pairs: readonly Pair[]): string {
  const width = Math.max(...pairs.map(([attr]) => attr.length));
  const body = pairs.map(([attr, values]) => `\t${attr.padEnd(width)} = ${values.join(' ')}`.trimEnd());
  return [`service ${entry.name}`, '{', ...body, '}'].join('\n');
}
