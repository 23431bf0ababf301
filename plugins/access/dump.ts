import type { AddressEntry, AddressList } from './address-match.js';
import type { AccessTimes } from './access-times.js';

const v4Text = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
const v4MaskText = (prefix: number) => v4Text(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** RFC 5952 text of a 128-bit address (the URL parser compresses it as inet_ntop does). */
function v6Text(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

const v6MaskText = (prefix: number) => v6Text(prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n));

/**
 * One entry as xinetd's dump shows it: `addr(NUMERIC)`, `addr/mask(NET)` for an explicit
 * `/len` (a dotted-mask IPv4 one included), `name(HOST)` for host and domain names.
 */
export function entryText(entry: AddressEntry): string {
  switch (entry.kind) {
    case 'v4':
      return entry.text.includes('/') && (entry.prefix < 32 || entry.dottedMask)
        ? `${v4Text(entry.net)}/${v4MaskText(entry.prefix)}(NET)`
        : `${v4Text(entry.net)}(NUMERIC)`;
    case 'v6':
      return entry.text.includes('/') && entry.prefix < 128 ? `${v6Text(entry.net)}/${v6MaskText(entry.prefix)}(NET)` : `${v6Text(entry.net)}(NUMERIC)`;
    case 'name':
      return `${entry.name}(HOST)`;
    case 'domain':
      return `${entry.suffix}(HOST)`;
  }
}

/**
 * `Only from:` / `No access:` lines, shown for every service. `unset` is what an absent list
 * means; a list set empty (`only_from =`) admits nobody, so it is not written as "All sites".
 */
export function addressListLine(label: string, list: AddressList | undefined, unset: string): string {
  if (!list) return `${label}: ${unset}`;
  if (list.entries.length === 0) return `${label}: No sites (empty list)`;
  return `${label}: ${list.entries.map((e) => ` ${entryText(e)}`).join('')}`;
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

export function accessTimesLine(times: AccessTimes): string {
  return `Access times =${times.intervals.map((i) => ` ${hhmm(i.start)}-${hhmm(i.end)}`).join('')}`;
}
