import type { InternalServiceSpec } from './define.js';
import { zoneAbbreviations } from './zone-name.js';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

let zones: ReadonlyMap<number, string> | undefined;
let cachedSecond = -1;
let cached: Buffer = Buffer.alloc(0);

/**
 * xinetd's daytime string, `DD MON YYYY HH:MM:SS ZONE\r\n` in local time (reference 10.1; not
 * the ctime format). Built at most once per second: the hot path usually returns the cache.
 */
export function daytimeBytes(now = Date.now()): Buffer {
  const second = Math.floor(now / 1000);
  if (second === cachedSecond) return cached;
  zones ??= zoneAbbreviations();
  const d = new Date(second * 1000);
  const offset = -d.getTimezoneOffset() * 60;
  const zone = zones.get(offset) ?? (offset === 0 ? 'UTC' : `GMT${offset > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 3600))}`);
  cached = Buffer.from(`${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zone}\r\n`, 'latin1');
  cachedSecond = second;
  return cached;
}

/** daytime: the string, then close (stream); the string as the reply (dgram). Never forks in xinetd. */
export const daytime: InternalServiceSpec = {
  name: 'daytime',
  stream: { mode: 'reply', answer: () => daytimeBytes() },
  dgram: (datagram) => datagram.reply(daytimeBytes()),
};
