/**
 * The text of the launcher's wire protocol (docs/launcher.md, "Wire protocol"): every token is
 * percent-encoded, and a launch plan travels as `key=value` tokens.
 */
import { bytesFromText } from '../raw-text.js';
import type { LaunchPlan } from './launch-plan.js';

/** The longest message we send; the launcher drops lines over 1 MiB. */
const MAX_MESSAGE = 900 * 1024;

const PLAIN = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/,:=+@-') {
  PLAIN[c.charCodeAt(0)] = 1;
}
const HEX = '0123456789ABCDEF';
const ALL_PLAIN = /^[A-Za-z0-9._/,:=+@-]*$/;

/** Percent-encode one token (UTF-8 bytes outside the plain set become %XX; raw-text.ts bytes are kept). */
export function encodeToken(value: string): string {
  // Most tokens (addresses, paths, numbers) need no escaping: returned as they are.
  if (ALL_PLAIN.test(value)) return value;
  const bytes = bytesFromText(value);
  let out = '';
  for (const b of bytes) {
    out += PLAIN[b] ? String.fromCharCode(b) : '%' + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

/** Inverse of encodeToken. */
export function decodeToken(token: string): string {
  if (!token.includes('%')) return token;
  const out: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c === 37 && i + 2 < token.length) {
      const v = parseInt(token.slice(i + 1, i + 3), 16);
      if (!Number.isNaN(v)) {
        out.push(v);
        i += 2;
        continue;
      }
    }
    out.push(c & 0xff);
  }
  return Buffer.from(out).toString('utf8');
}

function checkString(what: string, s: string): string {
  if (typeof s !== 'string' || s.includes('\0')) throw new TypeError(`launch plan: ${what} must be a string without NUL`);
  return s;
}

/** A bigint rlimit: below RLIM_INFINITY (2^64 - 1, which is written `unlimited`). */
function checkBig(what: string, n: bigint): string {
  if (n < 0n || n >= (1n << 64n) - 1n) throw new RangeError(`launch plan: bad ${what} ${n}`);
  return n.toString();
}

function checkInt(what: string, n: number, min: number, max: number): number {
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`launch plan: bad ${what} ${n}`);
  return n;
}

/** The rlimit= names, in the order they are sent (and compared: registered-plan.ts). */
export const RLIMIT_KEYS = ['as', 'cpu', 'data', 'rss', 'stack', 'nofile'] as const;

/** The plan as launcher tokens: path=, arg= (repeated), env= (repeated), uid=, gid=, ... */
export function encodePlan(plan: LaunchPlan): string {
  const t: string[] = [];
  const add = (k: string, v: string): void => {
    t.push(encodeToken(`${k}=${v}`));
  };
  if (!plan.path) throw new TypeError('launch plan: empty path');
  add('path', checkString('path', plan.path));
  for (const a of plan.argv) add('arg', checkString('argv entry', a));
  for (const e of plan.env) add('env', checkString('env entry', e));
  if (plan.uid !== undefined) add('uid', String(checkInt('uid', plan.uid, 0, 0xfffffffe)));
  if (plan.gid !== undefined) add('gid', String(checkInt('gid', plan.gid, 0, 0xfffffffe)));
  const g = plan.groups;
  if (g !== undefined) {
    if ('initgroups' in g) add('initgroups', checkString('initgroups user', g.initgroups));
    else add('groups', (g as readonly number[]).map((x) => checkInt('group', x, 0, 0xfffffffe)).join(','));
  }
  if (plan.umask !== undefined) add('umask', checkInt('umask', plan.umask, 0, 0o777).toString(8));
  if (plan.nice !== undefined) add('nice', String(checkInt('nice', plan.nice, -40, 40)));
  const rl = plan.rlimits;
  if (rl) {
    for (const k of RLIMIT_KEYS) {
      const v = rl[k];
      if (v === undefined || v === 0) continue;
      add('rlimit', `${k}:${v === Number.POSITIVE_INFINITY ? 'unlimited' : typeof v === 'bigint' ? checkBig(`rlimit ${k}`, v) : checkInt(`rlimit ${k}`, v, 0, Number.MAX_SAFE_INTEGER)}`);
    }
  }
  const s = t.join(' ');
  if (s.length > MAX_MESSAGE) throw new RangeError(`launch plan too large (${s.length} bytes encoded)`);
  return s;
}

/** ` env=...` tokens for the environment entries from index `from` on. */
export function extraEnvTokens(plan: LaunchPlan, from: number): string {
  let out = '';
  for (let i = from; i < plan.env.length; i++) out += ' ' + encodeToken(`env=${checkString('env entry', plan.env[i]!)}`);
  if (out.length > MAX_MESSAGE) throw new RangeError(`launch plan too large (${out.length} bytes encoded)`);
  return out;
}
