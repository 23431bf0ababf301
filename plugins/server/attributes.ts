import { AttributeError, type AttributeKey, type AttributeRegistry } from '../../core/config/attributes.js';
import { DUMP_STAGE, shownElsewhere } from '../../core/config/attribute-dump.js';
import { parseInteger } from '../../core/core-attributes.js';
import type { NetDb } from '../../core/netdb.js';
import { bytesFromText } from '../../core/raw-text.js';
import { accessSync, constants } from 'node:fs';
import { serverArgv } from './argv.js';

export const PLUGIN_NAME = 'xinetd-ts:server';

const RLIM_INFINITY = (1n << 64n) - 1n;

/**
 * A limit as xinetd reads it: UNLIMITED, or a 64-bit unsigned number with an optional K/M suffix
 * (sizes only). The number is read as strtoull reads it: a sign is allowed and a negative value
 * wraps (`-1` is RLIM_INFINITY), 2^64 and above are invalid, and so is a product that overflows;
 * the message names the number without its suffix. 0 = not set. Returns Infinity for
 * RLIM_INFINITY, a bigint beyond 2^53.
 */
function parseLimit(text: string, message: string, suffixes: boolean): number | bigint {
  if (/^unlimited$/i.test(text)) return Number.POSITIVE_INFINITY;
  const suffix = suffixes ? /[kKmM]$/.exec(text)?.[0] : undefined;
  const digits = suffix ? text.slice(0, -1) : text;
  const m = /^([+-]?)(\d+)$/.exec(digits);
  const magnitude = m ? BigInt(m[2]!) : undefined;
  if (magnitude === undefined || magnitude > RLIM_INFINITY) throw new AttributeError(`${message}: ${digits}`);
  const n = m![1] === '-' ? (RLIM_INFINITY + 1n - magnitude) & RLIM_INFINITY : magnitude;
  const value = n * (suffix === undefined ? 1n : suffix.toLowerCase() === 'k' ? 1024n : 1024n * 1024n);
  if (value > RLIM_INFINITY) throw new AttributeError(`${message}: ${digits}`);
  if (value === RLIM_INFINITY) return Number.POSITIVE_INFINITY;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

export interface ServerKeys {
  readonly server: AttributeKey<string>;
  readonly serverArgs: AttributeKey<readonly string[]>;
  readonly user: AttributeKey<string>;
  readonly group: AttributeKey<string>;
  readonly groups: AttributeKey<boolean>;
  readonly umask: AttributeKey<number>;
  readonly nice: AttributeKey<number>;
  readonly rlimits: Readonly<Record<'as' | 'cpu' | 'data' | 'rss' | 'stack' | 'nofile', AttributeKey<number | bigint>>>;
}

/**
 * `netdb` gives the current generation's user and group tables: as in xinetd, an unknown user or
 * group and a server that cannot be executed are value errors of their line (the service is
 * dropped, and the message names that line), for internal services too.
 */
export function defineServerAttributes(registry: AttributeRegistry, netdb: () => NetDb): ServerKeys {
  const owner = PLUGIN_NAME;
  registry.defineFlag({ name: 'NAMEINARGS', owner, description: 'The first server_args token is argv[0] (tcpd style); any attribute order.' });
  registry.defineFlag({ name: 'NORETRY', owner, description: 'Accepted for compatibility; a failed launch is never retried.' });
  const rlimit = (name: string, message: string, what: string, suffixes = true) =>
    registry.define({
      name, owner, arity: 1, where: 'service',
      parse: (v: readonly string[]) => parseLimit(v[0]!, message, suffixes),
      doc: { values: suffixes ? 'number[K|M] | UNLIMITED' : 'seconds | UNLIMITED', default: 'unchanged (0 = not set)', description: `${what} of the server (soft and hard).` },
    });
  return {
    server: registry.define({
      name: 'server', owner, arity: 1, where: 'service',
      parse(v) {
        try {
          accessSync(bytesFromText(v[0]!), constants.X_OK);
        } catch {
          throw new AttributeError(`Server ${v[0]} is not executable`);
        }
        return v[0]!;
      },
      doc: { values: 'absolute path', default: 'required for external services', description: 'The program to run; checked for execute permission at configuration time.' },
      dump: {
        stage: DUMP_STAGE.SERVER,
        lines(server, ctx) {
          if (server === undefined) return [];
          const args = ctx.values.get<readonly string[]>({ name: 'server_args' }) ?? [];
          const argv = serverArgv(server, args, ctx.service?.flags.has('NAMEINARGS') ?? false);
          return [`Server = ${server}`, `Server argv =${argv.map((a) => ` ${a}`).join('')}`];
        },
      },
    }),
    serverArgs: registry.define({
      name: 'server_args', owner, arity: 'many', where: 'service',
      parse: (v) => [...v],
      doc: { values: 'arguments', default: 'none', description: 'Arguments (no quoting: tokens split on blanks, `#` is literal). With NAMEINARGS the first is argv[0].' },
      dump: shownElsewhere(),
    }),
    user: registry.define({
      name: 'user', owner, arity: 1, where: 'service',
      parse(v) {
        if (!netdb().user(v[0]!)) throw new AttributeError(`Unknown user: ${v[0]}`);
        return v[0]!;
      },
      doc: { values: 'user name or uid', default: 'required for external services', description: 'Identity the server runs as; a numeric user also sets the gid to the same number.' },
      // Numeric, as xinetd shows them; without `group`, the user's own group is in effect.
      dump: {
        stage: DUMP_STAGE.CREDENTIALS,
        lines(name, ctx) {
          const user = name === undefined ? undefined : ctx.netdb.user(name);
          if (!user) return [];
          const group = ctx.values.get<string>({ name: 'group' });
          return [`user = ${user.uid}`, ...(group === undefined ? [`group = ${user.gid}`] : [])];
        },
      },
    }),
    group: registry.define({
      name: 'group', owner, arity: 1, where: 'service',
      parse(v) {
        if (!netdb().group(v[0]!)) throw new AttributeError(`Unknown group: ${v[0]}`);
        return v[0]!;
      },
      doc: { values: 'group name or gid', default: "the user's primary group", description: 'Group the server runs as.' },
      dump: { stage: DUMP_STAGE.CREDENTIALS, lines: (name, ctx) => [`group = ${(name === undefined ? undefined : ctx.netdb.group(name)?.gid) ?? name}`] },
    }),
    groups: registry.define({
      name: 'groups', owner, arity: 1, where: 'both',
      parse(v) {
        const s = v[0]!.toLowerCase();
        if (s !== 'yes' && s !== 'no') throw new AttributeError(`Bad value for groups: ${v[0]}`);
        return s === 'yes';
      },
      default: false,
      doc: { values: 'yes | no', default: 'no', description: "yes: the user's supplementary groups (initgroups); no: none." },
      // Every service shows it, as in xinetd; the defaults only when they set it.
      dump: { stage: DUMP_STAGE.CREDENTIALS, always: true, lines: (v, ctx) => (ctx.service || ctx.values.has({ name: 'groups' }) ? [`Groups = ${v ? 'yes' : 'no'}`] : []) },
    }),
    umask: registry.define({
      name: 'umask', owner, arity: 1, where: 'both',
      parse(v) {
        if (!/^[0-7]{1,4}$/.test(v[0]!) || parseInt(v[0]!, 8) > 0o777) throw new AttributeError('umask argument is invalid.');
        return parseInt(v[0]!, 8);
      },
      doc: { values: 'octal 0-777', default: "the daemon's umask (its start umask OR 022)", description: 'umask of the server.' },
      dump: { stage: DUMP_STAGE.CREDENTIALS, lines: (v) => (v === undefined ? [] : [`umask = ${v.toString(8)}`]) },
    }),
    nice: registry.define({
      name: 'nice', owner, arity: 1, where: 'service',
      // Any integer, as xinetd: nice(2) stops at the range's ends (see clampNice).
      parse: (v) => parseInteger(v[0]!, 'Error parsing', Number.MIN_SAFE_INTEGER),
      doc: { values: 'integer', default: 'unchanged', description: 'Relative priority increment, applied after the identity change.' },
      dump: { stage: DUMP_STAGE.CREDENTIALS, lines: (v) => (v === undefined ? [] : [`Nice = ${v}`]) },
    }),
    rlimits: {
      as: rlimit('rlimit_as', 'Address space limit is invalid', 'Address space limit'),
      cpu: rlimit('rlimit_cpu', 'CPU limit is invalid', 'CPU seconds limit', false),
      data: rlimit('rlimit_data', 'Data limit is invalid', 'Data segment limit'),
      rss: rlimit('rlimit_rss', 'RSS limit is invalid', 'Resident set limit'),
      stack: rlimit('rlimit_stack', 'Stack limit is invalid', 'Stack limit'),
      nofile: rlimit('rlimit_files', 'Max files limit is invalid', 'Open files limit'),
    },
  };
}
