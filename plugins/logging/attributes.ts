import { dirname, isAbsolute, resolve } from 'node:path';
import { AttributeError, type AttributeKey, type AttributeRegistry, type ParseContext } from '../../core/config/attributes.js';
import { DUMP_STAGE } from '../../core/config/attribute-dump.js';
import { failureLines, logTypeLines, successLines, syslogServerLines } from './dump.js';
import { facilityCode, levelCode } from './syslog-names.js';

export const PLUGIN_NAME = 'xinetd-ts:logging';

export type LogType =
  | { readonly kind: 'file'; readonly path: string; readonly soft?: number; readonly hard?: number }
  | { readonly kind: 'syslog'; readonly facility: number; readonly level: number; readonly facilityName: string; readonly levelName: string };

/** A remote syslog server (`syslog_server`). */
export interface SyslogServer {
  readonly transport: 'udp' | 'tcp';
  readonly host: string;
  readonly port: number;
  readonly format: 'rfc3164' | 'rfc5424';
  /** The text written in the configuration, used as the sink's key. */
  readonly key: string;
}

const KIB = 1024;

function size(text: string, message: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(text);
  if (!m) throw new AttributeError(message);
  return Number(m[1]) * (m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? KIB : KIB * KIB);
}

/** xinetd's default hard limit: soft plus 1 %, at least 5K and at most 20K more. */
export function defaultHardLimit(soft: number): number {
  return soft + Math.min(Math.max(Math.floor(soft / 100), 5 * KIB), 20 * KIB);
}

/** A relative log path is taken relative to the file that names it (the daemon runs in /). */
function logPath(path: string, ctx: ParseContext | undefined): string {
  return isAbsolute(path) || !ctx ? path : resolve(dirname(ctx.at.file), path);
}

export function parseLogType(values: readonly string[], ctx?: ParseContext): LogType {
  const kind = values[0]?.toUpperCase();
  if (kind === 'FILE') {
    if (values.length < 2 || values.length > 4) throw new AttributeError('wrong number of arguments');
    const soft = values[2] === undefined ? undefined : size(values[2], 'soft limit is invalid');
    let hard = values[3] === undefined ? undefined : size(values[3], 'hard limit is invalid');
    if (soft !== undefined && hard !== undefined && hard < soft) throw new AttributeError(`hard limit (${hard}) is less than soft limit (${soft})`);
    if (soft !== undefined && hard === undefined) hard = defaultHardLimit(soft);
    return { kind: 'file', path: logPath(values[1]!, ctx), soft, hard };
  }
  if (kind === 'SYSLOG') {
    if (values.length < 2 || values.length > 3) throw new AttributeError('wrong number of arguments');
    const facility = facilityCode(values[1]!);
    if (facility === undefined) throw new AttributeError(`Unknown syslog facility: ${values[1]}`);
    const levelName = (values[2] ?? 'info').toLowerCase();
    const level = levelCode(levelName);
    if (level === undefined) throw new AttributeError(`Unknown syslog level: ${values[2]}`);
    return { kind: 'syslog', facility, level, facilityName: values[1]!.toLowerCase(), levelName };
  }
  throw new AttributeError(`Unknown log type: ${values[0] ?? ''}`);
}

/** `udp://HOST[:PORT] | tcp://HOST[:PORT]` then optionally `rfc3164 | rfc5424`. */
export function parseSyslogServer(values: readonly string[]): SyslogServer {
  if (values.length > 2) throw new AttributeError('syslog_server takes a URL and an optional format');
  let url: URL;
  try {
    url = new URL(values[0]!);
  } catch {
    throw new AttributeError(`bad syslog server URL: ${values[0]}`);
  }
  const transport = url.protocol === 'udp:' ? 'udp' : url.protocol === 'tcp:' ? 'tcp' : undefined;
  if (!transport) throw new AttributeError(`syslog server URL must start with udp:// or tcp://, not ${values[0]}`);
  if (!url.hostname || url.pathname.replace(/^\/$/, '') !== '' || url.search || url.username) {
    throw new AttributeError(`bad syslog server URL: ${values[0]}`);
  }
  const format = (values[1] ?? 'rfc3164').toLowerCase();
  if (format !== 'rfc3164' && format !== 'rfc5424') throw new AttributeError(`syslog format must be rfc3164 or rfc5424, not ${values[1]}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { transport, host, port: url.port ? Number(url.port) : 514, format, key: `${transport}://${url.host} ${format}` };
}

export interface LoggingKeys {
  readonly logType: AttributeKey<LogType>;
  readonly success: AttributeKey<ReadonlySet<string>>;
  readonly failure: AttributeKey<ReadonlySet<string>>;
  readonly syslogServer: AttributeKey<SyslogServer>;
  readonly syslogTag: AttributeKey<string>;
  readonly logJson: AttributeKey<string>;
}

const flagList = (allowed: readonly string[], what: string) => (values: readonly string[]): ReadonlySet<string> => {
  const out = new Set<string>();
  for (const v of values) {
    const f = v.toUpperCase();
    if (!allowed.includes(f)) throw new AttributeError(`Bad ${what} flag: ${v}`, 'warning');
    out.add(f);
  }
  return out;
};

export function defineLoggingAttributes(registry: AttributeRegistry): LoggingKeys {
  const owner = PLUGIN_NAME;
  registry.defineFlag({ name: 'IDONLY', owner, description: 'Refuse the connection unless the ident (RFC 1413) lookup succeeds; needs USERID in log_on_success and a log_type.' });
  return {
    logType: registry.define({
      name: 'log_type', owner, arity: 'many', where: 'both',
      parse: parseLogType,
      doc: { values: 'SYSLOG facility [level] | FILE path [soft [hard]]', default: 'none: no service records', description: 'Where service records go. In defaults, FILE is one common file shared by every service. Size caps: see docs/logging.md.' },
      dump: { stage: DUMP_STAGE.LOGGING, always: true, lines: logTypeLines },
    }),
    success: registry.define({
      name: 'log_on_success', owner, arity: 'list', where: 'both', inherit: 'both',
      parse: flagList(['PID', 'HOST', 'USERID', 'EXIT', 'DURATION', 'TRAFFIC'], 'log_on_success'),
      default: new Set<string>(),
      doc: { values: 'PID HOST USERID EXIT DURATION TRAFFIC', default: 'none', description: 'Fields of START/EXIT records (and USERID/TRAFFIC records).' },
      dump: { stage: DUMP_STAGE.LOGGING, always: true, lines: successLines },
    }),
    failure: registry.define({
      name: 'log_on_failure', owner, arity: 'list', where: 'both', inherit: 'both',
      parse: flagList(['HOST', 'USERID', 'ATTEMPT'], 'log_on_failure'),
      default: new Set<string>(),
      doc: { values: 'HOST USERID ATTEMPT', default: 'none', description: 'Any flag enables FAIL records; HOST adds from=; USERID adds an ident lookup.' },
      dump: { stage: DUMP_STAGE.LOGGING, always: true, lines: failureLines },
    }),
    syslogServer: registry.define({
      name: 'syslog_server', owner, arity: 'many', where: 'both',
      parse: parseSyslogServer,
      dump: { stage: DUMP_STAGE.OTHER, lines: syslogServerLines },
      doc: { values: 'udp://HOST[:PORT] | tcp://HOST[:PORT] [rfc3164 | rfc5424]', default: 'none: the local socket /dev/log', description: 'xinetd-ts only: send SYSLOG records (and, in defaults, the daemon\'s own syslog messages) to this server instead of the local socket.' },
    }),
    syslogTag: registry.define({
      name: 'syslog_tag', owner, arity: 1, where: 'defaults', inherit: 'none',
      parse(values) {
        const tag = values[0]!;
        if (!/^[A-Za-z0-9._/-]{1,32}$/.test(tag)) throw new AttributeError(`bad syslog tag: ${tag}`);
        return tag;
      },
      doc: { values: 'name (letters, digits, . _ / -)', default: 'xinetd', description: 'xinetd-ts only: the syslog tag; messages read `TAG[PID]: ...`.' },
    }),
    logJson: registry.define({
      name: 'log_json', owner, arity: 1, where: 'both',
      parse: (values, ctx) => logPath(values[0]!, ctx),
      doc: { values: 'path', default: 'none', description: 'xinetd-ts only: also write every record as one JSON object per line (in defaults: one common file, with the daemon\'s messages).' },
    }),
  };
}
