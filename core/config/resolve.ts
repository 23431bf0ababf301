import { Breather } from './breather.js';
import { SharedSets } from './shared-sets.js';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { CoreKeys } from '../core-attributes.js';
import type { NetDb } from '../netdb.js';
import { AttributeValues, type ServiceConfig, type SocketType } from '../service-config.js';
import {
  AttributeError,
  operatorAllowed,
  type AttributeRegistry,
  type AttributeSpec,
  type Inherit,
  type ParseContext,
  WrongValueCount,
} from './attributes.js';
import type { Diagnostic, PluginSpec, RawConfig, RawEntry, RawSection, SourceLocation } from './raw.js';

/** Collects problems found about one service by the resolver and by `checkService` taps. */
export interface Report {
  /** `at`: the line that caused it (an attribute's own line), when it is not the service's. */
  error(message: string, at?: SourceLocation): void;
  /** `at`: the problem is in another file (hosts.allow, say), so the message names it, not the service. */
  warn(message: string, at?: SourceLocation): void;
}

export interface SkippedService {
  readonly name: string;
  readonly id: string;
  readonly at: SourceLocation;
  /** Empty when the service was disabled on purpose (`disable = yes`, `disabled`, `enabled`). */
  readonly reason: string;
}

export interface ResolvedConfig {
  readonly services: readonly ServiceConfig[];
  readonly defaults: AttributeValues;
  readonly skipped: readonly SkippedService[];
  readonly diagnostics: readonly Diagnostic[];
  readonly plugins: readonly PluginSpec[];
  /** A value error in `defaults`: xinetd refuses to run such a configuration. */
  readonly fatal: boolean;
  /**
   * The main configuration file. Only this is kept of the RawConfig: its sections (every entry
   * with its tokens and location, ~2.8 KB a service) would live as long as the configuration.
   */
  readonly source: string;
}

export interface ResolveOptions {
  readonly registry: AttributeRegistry;
  readonly keys: CoreKeys;
  readonly netdb: NetDb;
  /** Plugin checks across attributes (the daemon's `checkService` hook). */
  readonly check?: (service: ServiceConfig, report: Report) => void;
  /** Plugin checks made before the port is (`checkServiceFirst`): a port problem waits for them. */
  readonly firstCheck?: (service: ServiceConfig, report: Report) => void;
  /**
   * Yield to the event loop after this many milliseconds of work (a reload, while services are
   * being served); undefined: resolve in one go (start-up, `check`).
   */
  readonly sliceMs?: number;
}

type Spec = AttributeSpec<unknown> & { inherit: Inherit };

interface Draft {
  readonly section: RawSection;
  readonly values: Map<string, unknown>;
  readonly lists: Map<string, { tokens: string[]; ats: SourceLocation[]; at: SourceLocation; mentioned: boolean }>;
  readonly fromDefaults: Set<string>;
  errors: number;
  disabled: boolean;
}

const eq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** A list's tokens with where each one was written (for messages naming the deciding entry). */
interface ListTokens {
  readonly tokens: string[];
  readonly ats: SourceLocation[];
}

function applyListOp(cur: ListTokens, entry: RawEntry, inDefaults: boolean): ListTokens {
  if (entry.op === '-=') {
    const keep = cur.tokens.map((t) => !entry.values.some((v) => eq(v, t)));
    return { tokens: cur.tokens.filter((_, i) => keep[i]), ats: cur.ats.filter((_, i) => keep[i]) };
  }
  const added = { tokens: [...entry.values], ats: entry.values.map(() => entry.at) };
  if (entry.op === '=' && !inDefaults) return added;
  return { tokens: [...cur.tokens, ...added.tokens], ats: [...cur.ats, ...added.ats] };
}

/**
 * xinetd resolves a `bind` host name while it reads the line: one that does not resolve is that
 * line's value error (`bad address`). The address itself is chosen later, with the flags.
 */
async function assertBindResolves(value: unknown): Promise<void> {
  if (typeof value !== 'string' || isIP(value)) return;
  try {
    await lookup(value);
  } catch {
    throw new AttributeError('bad address', 'error');
  }
}

/**
 * Turn a RawConfig into validated, frozen ServiceConfigs: xinetd's two-moment defaults merge
 * (reference 1.5), operator and arity rules (1.3), the error policy (1.4) and the post-parse
 * validation (1.8). Every diagnostic names file:line.
 */
export async function resolveConfig(raw: RawConfig, options: ResolveOptions): Promise<ResolvedConfig> {
  const { registry, keys, netdb } = options;
  const diagnostics: Diagnostic[] = [];
  // The reader's diagnostics go in between the entries' own, in the files' order.
  let readerReported = 0;
  const reportReaderDiagnostics = (upTo = raw.diagnostics.length) => {
    for (; readerReported < upTo; readerReported++) diagnostics.push(raw.diagnostics[readerReported]!);
  };
  const skipped: SkippedService[] = [];
  const plugins = pluginSpecsOf(raw);
  let fatal = false;
  const diag = (level: Diagnostic['level'], message: string, at?: SourceLocation, service?: string) =>
    diagnostics.push({ level, message, at, service });

  const defaultsValues = new Map<string, unknown>();
  const defaultsLists = new Map<string, { tokens: string[]; ats: SourceLocation[]; at: SourceLocation }>();
  const drafts: Draft[] = [];

  const parseValue = (spec: Spec, values: readonly string[], at: SourceLocation, service: string | undefined) =>
    parseWith(spec, values, { service, at, tokenAt: values.map(() => at), warn: (m, level = 'warning') => diag(level, m, at, service) });
  /**
   * An attribute of a variable count written with no value: its parser may name the count xinetd
   * takes (WrongValueCount: xinetd's warning, the line ignored); otherwise it is a value error.
   */
  const emptyLineError = (spec: Spec, entry: RawEntry, service: string | undefined): AttributeError => {
    try {
      parseWith(spec, [], { service, at: entry.at, tokenAt: [], warn: () => undefined });
    } catch (e) {
      if (e instanceof WrongValueCount) return e;
    }
    return new AttributeError(`attribute ${entry.attr} expects at least 1 value and none was given.`, 'warning');
  };
  // Merged lists were already parsed (and warned about) line by line; this pass only builds the value.
  const parseMerged = (spec: Spec, list: ListTokens & { at: SourceLocation }, service: string | undefined) =>
    parseWith(spec, list.tokens, { service, at: list.at, tokenAt: list.ats, warn: () => undefined });

  // `interface` is another name of `bind`: one value, so a service's own `interface` beats the
  // defaults' `bind`, and the second of the two in a service is `attribute already set`.
  const specOf = (attr: string): Spec | undefined => {
    const spec = registry.lookup(attr) as Spec | undefined;
    return spec?.name === keys.interface.name ? (registry.lookup(keys.bind.name) as Spec) : spec;
  };

  const breather = options.sliceMs === undefined ? undefined : new Breather(options.sliceMs);
  for (const section of raw.sections) {
    await breather?.breathe();
    reportReaderDiagnostics(section.diagnosticsBefore);
    if (section.kind === 'defaults') {
      for (const entry of section.entries) {
        const spec = specOf(entry.attr);
        if (!spec || spec.where === 'service') {
          diag('warning', `attribute: ${entry.attr} should not be in default section`, entry.at);
          continue;
        }
        if (!operatorAllowed(spec, entry.op)) {
          diag('warning', `operator '${entry.op}' cannot be used for attribute '${entry.attr}'`, entry.at);
          continue;
        }
        try {
          if (spec.arity === 'list') {
            parseValue(spec, entry.values, entry.at, undefined);
            const cur = defaultsLists.get(spec.name) ?? { tokens: [], ats: [] };
            defaultsLists.set(spec.name, { ...applyListOp(cur, entry, true), at: entry.at });
          } else {
            if (typeof spec.arity === 'number' && entry.values.length !== spec.arity) throw new WrongValueCount(spec.arity, entry.values.length);
            if (spec.arity === 'many' && entry.values.length === 0) throw emptyLineError(spec, entry, undefined);
            if (defaultsValues.has(spec.name)) {
              diag('warning', `Service defaults: attribute already set: ${entry.attr}`, entry.at);
              continue;
            }
            const value = parseValue(spec, entry.values, entry.at, undefined);
            // In `defaults` that is fatal at start, not an error of every service that inherits it.
            if (spec.name === keys.bind.name) await assertBindResolves(value);
            defaultsValues.set(spec.name, value);
          }
        } catch (e) {
          if (e instanceof WrongValueCount) {
            diag('warning', `attribute ${entry.attr} ${e.message}`, entry.at);
            continue;
          }
          if (!(e instanceof AttributeError)) throw e;
          // The parser's message only: xinetd names no attribute here, its fatal message follows.
          diag(e.level, e.message, entry.at);
          fatal = true;
        }
      }
      if (section.broken) diagnostics.push(section.broken);
      if (section.unclosed) diagnostics.push(section.unclosed);
      continue;
    }
    drafts.push(await startService(section));
  }
  reportReaderDiagnostics();

  async function startService(section: RawSection): Promise<Draft> {
    const draft: Draft = { section, values: new Map(), lists: new Map(), fromDefaults: new Set(), errors: 0, disabled: false };
    const svc = section.name;
    // Moment one: entry-inherited defaults are copied in now, so position matters.
    for (const spec of registry.attributes()) {
      if (spec.inherit !== 'entry' && spec.inherit !== 'both') continue;
      if (spec.arity === 'list') {
        const d = defaultsLists.get(spec.name);
        if (d) {
          draft.lists.set(spec.name, { tokens: [...d.tokens], ats: [...d.ats], at: d.at, mentioned: false });
          draft.fromDefaults.add(spec.name);
        }
      } else if (defaultsValues.has(spec.name)) {
        draft.values.set(spec.name, defaultsValues.get(spec.name));
        draft.fromDefaults.add(spec.name);
      }
    }
    const explicit = new Set<string>();
    for (const entry of section.entries) {
      const spec = specOf(entry.attr);
      if (!spec) {
        diag('warning', `bad service attribute: ${entry.attr}`, entry.at, svc);
        continue;
      }
      if (spec.where === 'defaults') {
        diag('warning', `Service ${svc}: attribute ${entry.attr} is only allowed in defaults`, entry.at, svc);
        continue;
      }
      if (!operatorAllowed(spec, entry.op)) {
        if (spec.noRemove && entry.op === '-=') {
          // xinetd treats it as a value error of the attribute: the service is dropped.
          diag('warning', `operator '-=' not supported for ${entry.attr} attribute`, entry.at, svc);
          diag('error', `Error parsing attribute ${entry.attr} - DISABLING SERVICE`, entry.at, svc);
          draft.errors++;
        } else {
          diag('warning', `Service ${svc}: operator '${entry.op}' cannot be used for attribute '${entry.attr}'`, entry.at, svc);
        }
        continue;
      }
      try {
        if (spec.arity === 'list') {
          parseValue(spec, entry.values, entry.at, svc);
          const cur = draft.lists.get(spec.name) ?? { tokens: [], ats: [] };
          draft.lists.set(spec.name, { ...applyListOp(cur, entry, false), at: entry.at, mentioned: true });
          draft.fromDefaults.delete(spec.name);
          continue;
        }
        if (explicit.has(spec.name)) {
          diag('warning', `Service ${svc}: attribute already set: ${entry.attr}`, entry.at, svc);
          continue;
        }
        if (typeof spec.arity === 'number' && entry.values.length !== spec.arity) throw new WrongValueCount(spec.arity, entry.values.length);
        if (spec.arity === 'many' && entry.values.length === 0) throw emptyLineError(spec, entry, svc);
        const value = parseValue(spec, entry.values, entry.at, svc);
        if (spec.name === keys.bind.name) await assertBindResolves(value);
        explicit.add(spec.name);
        draft.values.set(spec.name, value);
        draft.fromDefaults.delete(spec.name);
        if (spec.name === keys.disable.name) {
          // `disable = yes` drops the entry silently; `no` clears an earlier value error (xinetd).
          if (value === true) {
            draft.disabled = true;
            return draft;
          }
          draft.errors = 0;
        }
      } catch (e) {
        if (e instanceof WrongValueCount) {
          diag('warning', `attribute ${entry.attr} ${e.message}`, entry.at, svc);
          continue;
        }
        if (!(e instanceof AttributeError)) throw e;
        diag(e.level, e.message, entry.at, svc);
        diag('error', `Error parsing attribute ${entry.attr} - DISABLING SERVICE`, entry.at, svc);
        draft.errors++;
      }
    }
    if (section.broken) {
      diagnostics.push({ ...section.broken, service: svc });
      if (section.unclosed) diagnostics.push(section.unclosed);
      draft.errors++;
    }
    return draft;
  }

  // Moment two: end-inherited defaults fill what services did not set.
  for (const draft of drafts) {
    await breather?.breathe();
    for (const spec of registry.attributes()) {
      if (spec.inherit !== 'end' && spec.inherit !== 'both') continue;
      if (spec.arity === 'list') {
        const d = defaultsLists.get(spec.name);
        if (d && !draft.lists.get(spec.name)?.mentioned && !draft.lists.has(spec.name)) {
          draft.lists.set(spec.name, { tokens: [...d.tokens], ats: [...d.ats], at: d.at, mentioned: false });
          draft.fromDefaults.add(spec.name);
        }
      } else if (!draft.values.has(spec.name) && defaultsValues.has(spec.name)) {
        draft.values.set(spec.name, defaultsValues.get(spec.name));
        draft.fromDefaults.add(spec.name);
      }
    }
  }

  const declaredDefaults = new Map<string, unknown>();
  for (const spec of registry.attributes()) if (spec.default !== undefined) declaredDefaults.set(spec.name, spec.default);

  // Defaults as typed values, for plugins that read defaults-only settings.
  const defaultsMap = new Map(defaultsValues);
  for (const [name, list] of defaultsLists) {
    const spec = registry.lookup(name) as Spec;
    try {
      defaultsMap.set(name, parseMerged(spec, list, undefined));
    } catch (e) {
      if (!(e instanceof AttributeError)) throw e;
      diag('error', e.message, list.at);
      fatal = true;
    }
  }
  const defaults = new AttributeValues(defaultsMap, declaredDefaults);
  const enabled = defaultsLists.get(keys.enabled.name)?.tokens;
  const disabled = defaultsLists.get(keys.disabled.name)?.tokens ?? [];

  const services: ServiceConfig[] = [];
  const sets = new SharedSets();
  const idOf = (draft: Draft) => (draft.values.get(keys.id.name) as string | undefined) ?? draft.section.name;
  const skipDraft = (draft: Draft, reason: string) => skipped.push({ name: draft.section.name, id: idOf(draft), at: draft.section.at, reason });
  /** The first of xinetd's two passes: whether the entry is still there once read (`removing NAME`). */
  const keptAfterReading = (draft: Draft): boolean => {
    const { section } = draft;
    const drop = (reason: string) => {
      skipDraft(draft, reason);
      return false;
    };
    if (draft.disabled) return drop('');
    // xinetd drops an entry with a syntax error while parsing: it is never `removing`.
    if (section.broken) return drop('configuration error');
    // Lists are parsed once more on the merged tokens.
    for (const [attr, list] of draft.lists) {
      const spec = registry.lookup(attr) as Spec;
      try {
        draft.values.set(attr, parseMerged(spec, list, section.name));
      } catch (e) {
        if (!(e instanceof AttributeError)) throw e;
        diag('error', e.message, list.at, section.name);
        draft.errors++;
      }
    }
    const removing = (reason: string) => {
      diag('debug', `removing ${section.name}`, undefined, section.name);
      return drop(reason);
    };
    if (draft.errors > 0) return removing('configuration error');
    // The defaults' `disabled` list removes silently; an entry `enabled` leaves out is `removing`.
    const id = idOf(draft);
    if (disabled.some((d) => eq(d, id))) return drop('');
    if (enabled && !enabled.some((e) => eq(e, id))) return removing('');
    return true;
  };
  // Every entry dropped while reading is dropped before any entry is checked as a whole
  // (`missing attribute`, `Must specify a server`, ...), as xinetd does.
  const kept: Draft[] = [];
  for (const draft of drafts) {
    await breather?.breathe();
    if (keptAfterReading(draft)) kept.push(draft);
  }
  for (const draft of kept) {
    await breather?.breathe();
    const { section } = draft;
    const name = section.name;
    const id = idOf(draft);
    const skip = (reason: string) => skipDraft(draft, reason);
    const problems: string[] = [];
    const report: Report = {
      error: (m, at) => {
        problems.push(m);
        diag('error', m, at ?? section.at, name);
      },
      warn: (m, at) => (at ? diag('warning', m, at) : diag('warning', m, section.at, name)),
    };
    const built = await buildService(draft, id, report);
    // Before the check hook: plugins keep their per-service state by this very object.
    const config = built && withDistinctIdentity(built.config, services);
    if (!config || problems.length > 0) {
      skip(problems[0] ?? 'configuration error');
      continue;
    }
    // xinetd asks for a server before it looks the port up.
    options.firstCheck?.(config, report);
    if (problems.length === 0 && built.portProblem) report.error(built.portProblem);
    if (problems.length > 0) {
      skip(problems[0]!);
      continue;
    }
    options.check?.(config, report);
    if (problems.length > 0) {
      skip(problems[0]!);
      continue;
    }
    const dup = config.bind ? services.find((s) => s.bind && s.bind === config.bind && s.port === config.port && s.protocol === config.protocol && s.port !== 0) : undefined;
    if (dup) {
      const msg = eq(dup.id, config.id)
        ? `service: ${name} id: ${id} not unique or is a duplicate - DISABLING`
        : `service: ${name} id: ${id} is unique but its identical to service: ${dup.name} id: ${dup.id} - DISABLING`;
      diag('error', msg, section.at, name);
      skip(msg);
      continue;
    }
    services.push(config);
  }

  /**
   * The service's port, or why it has none: a tcpmux client's type and protocol, UNLISTED without
   * a port, a name and protocol /etc/services does not list, another port than the one listed.
   */
  function portOf(name: string, types: ReadonlySet<string>, protocol: string | undefined, port: number | undefined): { port: number | undefined } | { problem: string } {
    const tcpmuxClient = types.has('TCPMUX') || types.has('TCPMUXPLUS');
    if (tcpmuxClient && !types.has('UNLISTED')) return { problem: `Service: ${name} (tcpmux) should have UNLISTED in type.` };
    if (tcpmuxClient && protocol !== 'tcp') return { problem: `Service: ${name} (tcpmux) must use protocol tcp` };
    // An RPC service's port is the kernel's choice, made known through rpcbind (plugins/rpc).
    if (types.has('RPC')) return { port: 0 };
    if (tcpmuxClient) return { port };
    if (types.has('UNLISTED')) return port === undefined ? { problem: `Unlisted service: ${name} must have a port entry` } : { port };
    if (!protocol) return { problem: `Port not specified for service: ${name} and no protocol given` };
    const listed = netdb.servicePort(name, protocol);
    if (listed === undefined) {
      return { problem: port === undefined ? `Port not specified and can't find service: ${name} with getservbyname` : `service/protocol combination not in /etc/services: ${name}/${protocol}` };
    }
    if (port !== undefined && port !== listed) return { problem: `Service ${name} expects port ${listed}, not ${port}` };
    return { port: listed };
  }

  async function buildService(draft: Draft, id: string, report: Report): Promise<{ config: ServiceConfig; portProblem?: string } | undefined> {
    const v = draft.values;
    for (const [attr, value] of v) v.set(attr, sets.share(attr, value));
    const name = draft.section.name;
    const types = (v.get(keys.type.name) as ReadonlySet<string> | undefined) ?? new Set<string>();
    const flags = new Set((v.get(keys.flags.name) as ReadonlySet<string> | undefined) ?? []);
    let socketType = v.get(keys.socketType.name) as SocketType | undefined;
    let protocol = v.get(keys.protocol.name) as string | undefined;
    if (!socketType && protocol === 'tcp') socketType = 'stream';
    if (!socketType && protocol === 'udp') socketType = 'dgram';
    if (!protocol && socketType === 'stream') protocol = 'tcp';
    if (!protocol && socketType === 'dgram') protocol = 'udp';
    // Every missing one, in xinetd's order (a protocol is missing when the socket type names
    // none); an internal service without a socket type is one xinetd does not know.
    const internal = types.has('INTERNAL');
    const missing = [
      ...(v.has(keys.wait.name) ? [] : [keys.wait.name]),
      ...(socketType || internal ? [] : [keys.socketType.name]),
      ...(protocol || internal ? [] : [keys.protocol.name]),
    ];
    for (const attr of missing) report.error(`Service ${id} missing attribute ${attr} - DISABLING`);
    if (internal && !socketType) report.error(`No such internal service: ${name}/Unknown socket type - DISABLING`);
    if (missing.length > 0 || !socketType) return undefined;
    if (socketType !== 'stream' && socketType !== 'dgram') {
      report.error(`Service ${id}: socket_type ${socketType} is not supported`);
      return undefined;
    }
    // xinetd asks the kernel for this pair and the service fails there; say so before binding.
    if ((socketType === 'stream' && protocol === 'udp') || (socketType === 'dgram' && protocol === 'tcp')) {
      report.error(`socket creation failed (Protocol not supported (errno = 93)). service = ${id}: socket_type ${socketType} with protocol ${protocol}`);
      return undefined;
    }
    const wait = v.get(keys.wait.name) as boolean;
    const listed = portOf(name, types, protocol, v.get(keys.port.name) as number | undefined);
    const port = 'port' in listed ? listed.port : undefined;
    for (const flag of ['INTERCEPT', 'LABELED']) {
      if (flags.delete(flag)) report.warn(`Service ${id}: flag ${flag} is not supported and is ignored`);
    }
    let bind = v.get(keys.bind.name) as string | undefined; // `interface` is stored as `bind` (specOf)
    if (bind && !isIP(bind)) {
      try {
        const family = flags.has('IPV4') ? 4 : flags.has('IPV6') ? 6 : 0;
        bind = (await lookup(bind, { family })).address;
      } catch {
        // xinetd resolves the name while parsing the attribute: its two messages, at that line.
        const entry = draft.section.entries.find((e) => specOf(e.attr)?.name === keys.bind.name);
        report.error('bad address', entry?.at);
        report.error(`Error parsing attribute ${entry?.attr ?? keys.bind.name} - DISABLING SERVICE`, entry?.at);
        diag('debug', `removing ${draft.section.name}`, undefined, draft.section.name);
        return undefined;
      }
    }
    // The flags set holds upper-cased flag names (IPV4, IPV6).
    if (flags.has('IPV4') && flags.has('IPV6')) {
      // xinetd's INFO, without a location.
      diag('info', `Service ${name} will use IPv6 or fallback to IPv4`, undefined, name);
      flags.delete('IPV4');
    }
    const family: 'IPv4' | 'IPv6' = flags.has('IPV4') || (!flags.has('IPV6') && bind !== undefined && isIP(bind) === 4) ? 'IPv4' : 'IPv6';
    if (bind && isIP(bind) === 4 && family === 'IPv6' && flags.has('IPV6')) {
      report.error(`Service ${id}: bind address ${bind} is IPv4 but flags say IPv6`);
      return undefined;
    }
    // As xinetd: a tcp RPC service is never checked against hosts.allow/hosts.deny; it carries
    // NOLIBWRAP, which the dumps and `check` then show.
    if (types.has('RPC') && protocol === 'tcp') flags.add('NOLIBWRAP');
    const v6only = draft.fromDefaults.has(keys.v6only.name) ? undefined : (v.get(keys.v6only.name) as boolean | undefined);
    const sortedTypes = [...types].sort().join(',');
    // v6only shapes only an IPv6 socket: on an IPv4 service an edit of it changes nothing.
    const identity = [id.toLowerCase(), socketType, protocol, port ?? 0, bind ?? '*', family, wait, sortedTypes, family === 'IPv6' ? v6only ?? '' : ''].join('|');
    const config: ServiceConfig = Object.freeze({
      name,
      id,
      types: sets.share(keys.type.name, types),
      flags: sets.share(keys.flags.name, flags),
      socketType,
      protocol: protocol!,
      port: port ?? 0,
      bind,
      wait,
      v6only,
      at: draft.section.at,
      origin: draft.section.origin ?? 'xinetd',
      values: new AttributeValues(v, declaredDefaults, sets.share(' inherited', draft.fromDefaults)),
      identity,
      family,
    });
    return { config, ...('problem' in listed ? { portProblem: listed.problem } : {}) };
  }

  return { services, defaults, skipped, diagnostics, plugins, fatal, source: raw.source };
}

/**
 * xinetd runs two entries that are the same service (Debian's `echo` and `echo-udp` files both
 * hold `echo-dgram` on one port; both UDP sockets bind). Each needs its own key: the daemon
 * tracks its services by identity, and one it lost track of would outlive the reload that
 * removes it. The n-th duplicate is keyed `IDENTITY|#n`, in file order, so a reload matches
 * the same entries again.
 */
function withDistinctIdentity(config: ServiceConfig, taken: readonly ServiceConfig[]): ServiceConfig {
  let identity = config.identity;
  for (let n = 2; taken.some((s) => s.identity === identity); n++) identity = `${config.identity}|#${n}`;
  return identity === config.identity ? config : Object.freeze({ ...config, identity });
}

/** Plugins named in configuration: the structured `plugins` list and classic `plugins` lines in defaults. */
export function pluginSpecsOf(raw: RawConfig): PluginSpec[] {
  const specs = [...raw.plugins];
  for (const section of raw.sections) {
    if (section.kind !== 'defaults') continue;
    for (const e of section.entries) {
      if (e.attr.toLowerCase() === 'plugins' && e.op !== '-=') for (const v of e.values) specs.push({ specifier: v, from: e.at });
    }
  }
  return specs;
}

/**
 * A parser that throws something other than an AttributeError (a plugin's bug, or an
 * AttributeError from another copy of the package) rejects the value all the same: the service
 * is disabled with file:line and the owning plugin named, and the other services start.
 */
function parseWith(spec: Spec, values: readonly string[], ctx: ParseContext): unknown {
  try {
    return spec.parse(values, ctx);
  } catch (e) {
    if (e instanceof AttributeError) throw e;
    if (e instanceof Error && e.name === 'AttributeError') throw new AttributeError(e.message);
    const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new AttributeError(`attribute ${spec.name} (plugin ${spec.owner}): its parser threw ${text}`);
  }
}
