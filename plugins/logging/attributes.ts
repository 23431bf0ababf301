import { AttributeError, type AttributeKey, type AttributeRegistry } from '../../core/config/attributes.js';

export const PLUGIN_NAME = 'xinetd-ts:logging';

export const FACILITIES = ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'] as const;
export const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
const FACILITY_CODES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

export type LogType =
  | { readonly kind: 'file'; readonly path: string; readonly soft?: number; readonly hard?: number }
  | { readonly kind: 'syslog'; readonly facility: number; readonly level: number; readonly facilityName: string; readonly levelName: string };

export function facilityCode(name: string): number | undefined {
  return FACILITY_CODES[name.toLowerCase()];
}

function size(text: string, message: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(text);
  if (!m) throw new AttributeError(message);
  return Number(m[1]) * (m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1024 : 1048576);
}

export function parseLogType(values: readonly string[]): LogType {
  const kind = values[0]?.toUpperCase();
  if (kind === 'FILE') {
    if (values.length < 2 || values.length > 4) throw new AttributeError('wrong number of arguments');
    const soft = values[2] === undefined ? undefined : size(values[2], 'soft limit is invalid');
    let hard = values[3] === undefined ? undefined : size(values[3], 'hard limit is invalid');
    if (soft !== undefined && hard !== undefined && hard < soft) throw new AttributeError(`hard limit (${hard}) is less than soft limit (${soft})`);
    if (soft !== undefined && hard === undefined) hard = soft + Math.min(Math.max(Math.floor(soft / 100), 5 * 1024), 20 * 1024);
    return { kind: 'file', path: values[1]!, soft, hard };
  }
  if (kind === 'SYSLOG') {
    if (values.length < 2 || values.length > 3) throw new AttributeError('wrong number of arguments');
    const facility = facilityCode(values[1]!);
    if (facility === undefined) throw new AttributeError(`Unknown syslog facility: ${values[1]}`);
    const levelName = (values[2] ?? 'info').toLowerCase();
    const level = (LEVELS as readonly string[]).indexOf(levelName);
    if (level < 0) throw new AttributeError(`Unknown syslog level: ${values[2]}`);
    return { kind: 'syslog', facility, level, facilityName: values[1]!.toLowerCase(), levelName };
  }
  throw new AttributeError(`Unknown log type: ${values[0] ?? ''}`);
}

export interface LoggingKeys {
  readonly logType: AttributeKey<LogType>;
  readonly success: AttributeKey<ReadonlySet<string>>;
  readonly failure: AttributeKey<ReadonlySet<string>>;
}

const flagList = (allowed: readonly string[], what: string) => (values: readonly string[]): ReadonlySet<string> => {
  const out = new Set<string>();
  for (const v of values) {
    const f = v.toUpperCase();
    if (!allowed.includes(f)) throw new AttributeError(`Bad ${what} flag: ${v}`);
    out.add(f);
  }
  return out;
};

export function defineLoggingAttributes(registry: AttributeRegistry): LoggingKeys {
  const owner = PLUGIN_NAME;
  registry.defineFlag({ name: 'IDONLY', owner, description: 'Refuse the connection unless the ident (RFC 1413) lookup succeeds; needs USERID in log_on_success.' });
  return {
    logType: registry.define({
      name: 'log_type', owner, arity: 'many', where: 'both',
      parse: parseLogType,
      doc: { values: 'SYSLOG facility [level] | FILE path [soft [hard]]', default: 'none: no service records', description: 'Where service records go. In defaults, FILE is one common file shared by every service.' },
    }),
    success: registry.define({
      name: 'log_on_success', owner, arity: 'list', where: 'both', inherit: 'both',
      parse: flagList(['PID', 'HOST', 'USERID', 'EXIT', 'DURATION', 'TRAFFIC'], 'log_on_success'),
      default: new Set<string>(),
      doc: { values: 'PID HOST USERID EXIT DURATION TRAFFIC', default: 'none', description: 'Fields of START/EXIT records (and USERID/TRAFFIC records).' },
    }),
    failure: registry.define({
      name: 'log_on_failure', owner, arity: 'list', where: 'both', inherit: 'both',
      parse: flagList(['HOST', 'USERID', 'ATTEMPT'], 'log_on_failure'),
      default: new Set<string>(),
      doc: { values: 'HOST USERID ATTEMPT', default: 'none', description: 'Any flag enables FAIL records; HOST adds from=.' },
    }),
  };
}
