import { AttributeError, WrongValueCount, type AttributeKey, type AttributeRegistry } from '../../core/config/attributes.js';
import { DUMP_STAGE } from '../../core/config/attribute-dump.js';
import { parseInteger } from '../../core/core-attributes.js';

export const PLUGIN_NAME = 'xinetd-ts:limits';

/** `cps RATE WAIT`: more than RATE connections per second switch the service off for WAIT s. */
export interface Cps {
  readonly rate: number;
  readonly wait: number;
}

/** `per_source N [/LEN]`: N live sessions per client; IPv6 clients grouped by their /LEN prefix. */
export interface PerSource {
  readonly max: number;
  readonly prefix6: number | undefined;
}

export interface LimitKeys {
  readonly instances: AttributeKey<number>;
  readonly perSource: AttributeKey<PerSource>;
  readonly cps: AttributeKey<Cps | undefined>;
  readonly maxLoad: AttributeKey<number>;
}

/** xinetd's default, active for every service that does not say otherwise. */
export const DEFAULT_CPS: Cps = Object.freeze({ rate: 50, wait: 10 });

const unlimitedOr = (text: string, message: string): number =>
  /^unlimited$/i.test(text) ? Number.POSITIVE_INFINITY : parseInteger(text, message, 0);

function unsigned(text: string, message: string): number {
  if (!/^\s*\+?\d+\s*$/.test(text)) throw new AttributeError(message);
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n)) throw new AttributeError(message);
  return n;
}

function parsePerSource(values: readonly string[]): PerSource {
  const message = 'Number of per source instances is invalid';
  const joined = values.length === 1 ? /^([^/]+)\/(\d+)$/.exec(values[0]!) : null;
  const [count, prefix] = joined ? [joined[1]!, `/${joined[2]}`] : values;
  // xinetd takes one value; a second is ours when it is a /LEN (or a bare number: a slash
  // forgotten). Any other count is xinetd's warning and the line is ignored: a comment after
  // the value, say (`#` is text there).
  if (values.length > 2 || (prefix !== undefined && !/^\/|^\d+$/.test(prefix))) throw new WrongValueCount(1, values.length);
  if (count === undefined) throw new WrongValueCount(1, 0);
  const max = unlimitedOr(count, message);
  if (prefix === undefined) return { max, prefix6: undefined };
  const m = /^\/(\d{1,3})$/.exec(prefix);
  const len = m ? Number(m[1]) : NaN;
  if (!(len >= 1 && len <= 128)) throw new AttributeError(`IPv6 prefix length for per_source is invalid: ${prefix} (use /1 to /128)`);
  return { max, prefix6: len };
}

/** sscanf("%lf") reads a leading number and ignores the rest; zero is refused (xinetd). */
function parseMaxLoad(values: readonly string[], warn: (m: string) => void): number {
  const m = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(values[0]!);
  if (!m) throw new AttributeError('error reading max_load argument');
  const n = Number(m[0]);
  if (n === 0) throw new AttributeError('error parsing max_load argument');
  if (m[0].length !== values[0]!.length) warn(`max_load: ignoring trailing characters in ${values[0]}`);
  return n;
}

export function defineLimitAttributes(registry: AttributeRegistry): LimitKeys {
  const owner = PLUGIN_NAME;
  return {
    instances: registry.define({
      name: 'instances', owner, arity: 1, where: 'both',
      parse: (v) => unlimitedOr(v[0]!, 'Number of instances is invalid'),
      default: Number.POSITIVE_INFINITY,
      doc: { values: 'number | UNLIMITED', default: 'UNLIMITED', description: 'Live sessions of the service (spawned servers and in-process stream sessions); more are refused with `service_limit`. 0 refuses everything.' },
      dump: { stage: DUMP_STAGE.INSTANCES, lines: (v) => [`Instances = ${v === undefined || v === Number.POSITIVE_INFINITY ? 'UNLIMITED' : v}`] },
    }),
    perSource: registry.define({
      name: 'per_source', owner, arity: 'many', where: 'both',
      parse: parsePerSource,
      default: { max: Number.POSITIVE_INFINITY, prefix6: undefined },
      doc: { values: 'number | UNLIMITED, then optionally /LEN', default: 'UNLIMITED', description: 'Live sessions per client address (`per_source_limit`). IPv4 and IPv4-mapped forms are one client. xinetd-ts: `/LEN` groups IPv6 clients by prefix (`per_source = 4 /64`).' },
      // xinetd writes UNLIMITED as -1 here.
      dump: { stage: DUMP_STAGE.RATE + 1, lines: (v) => (v ? [`PER_SOURCE = ${v.max === Number.POSITIVE_INFINITY ? -1 : v.max}${v.prefix6 === undefined ? '' : ` /${v.prefix6}`}`] : []) },
    }),
    cps: registry.define<Cps | undefined>({
      name: 'cps', owner, arity: 'many', where: 'both',
      parse(v) {
        if (v.length === 1 && /^\s*\+?0+\s*$/.test(v[0]!)) return { rate: 0, wait: 0 };
        // xinetd ignores a wrong value count with its warning: the defaults' cps stays.
        if (v.length !== 2) throw new WrongValueCount(2, v.length);
        return { rate: unsigned(v[0]!, 'cps argument not a number'), wait: unsigned(v[1]!, 'cps time argument not a number') };
      },
      default: DEFAULT_CPS,
      doc: { values: 'RATE WAIT | 0', default: '50 10', description: 'More than RATE connections per second switch the service off for WAIT seconds (`connections per second`). `0` or `0 N` disables.' },
      dump: { stage: DUMP_STAGE.RATE, lines: (v) => (v ? [`CPS = max conn:${v.rate} wait:${v.wait}`] : []) },
    }),
    maxLoad: registry.define({
      name: 'max_load', owner, arity: 1, where: 'both',
      parse: (v, ctx) => parseMaxLoad(v, (m) => ctx.warn(m)),
      doc: { values: 'number (not 0)', default: 'off', description: 'Refuse (`load`) while the 1-minute load average is at or above this value.' },
    }),
  };
}
