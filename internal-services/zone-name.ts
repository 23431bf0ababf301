import { readFileSync } from 'node:fs';

/**
 * Time-zone abbreviations as the C library prints them with `%Z` (UTC, CET, CEST, EST...),
 * keyed by UTC offset in seconds: read once from the TZif file of the zone in force ($TZ, else
 * /etc/localtime). Intl only knows names such as `GMT+1`, which would not match xinetd's output.
 */
export function zoneAbbreviations(tz = process.env.TZ): ReadonlyMap<number, string> {
  const names = new Map<number, string>();
  const spec = tz?.startsWith(':') ? tz.slice(1) : tz;
  const file = spec === undefined || spec === '' ? '/etc/localtime' : spec.startsWith('/') ? spec : `/usr/share/zoneinfo/${spec}`;
  try {
    readTzif(readFileSync(file), names);
  } catch {
    if (spec) readPosixTz(spec, names);
  }
  return names;
}

function readTzif(buf: Buffer, out: Map<number, string>): void {
  if (buf.toString('latin1', 0, 4) !== 'TZif') throw new Error('not a TZif file');
  const header = (at: number) => [0, 1, 2, 3, 4, 5].map((i) => buf.readUInt32BE(at + 20 + i * 4));
  const blockSize = (h: number[], timeSize: number) => 44 + h[3]! * timeSize + h[3]! + h[4]! * 6 + h[5]! + h[2]! * (timeSize + 4) + h[1]! + h[0]!;
  let at = 0;
  let timeSize = 4;
  let h = header(0);
  if (buf[4]! >= 0x32) {
    at = blockSize(h, 4);
    h = header(at);
    timeSize = 8;
  }
  const [, , , time, types, chars] = h as [number, number, number, number, number, number];
  const indexes = at + 44 + time * timeSize;
  const infos = indexes + time;
  const abbrs = infos + types * 6;
  const set = (i: number) => {
    const start = abbrs + buf[infos + i * 6 + 5]!;
    const end = buf.indexOf(0, start);
    out.set(buf.readInt32BE(infos + i * 6), buf.toString('latin1', start, end < 0 ? abbrs + chars : end));
  };
  // Every type, then again in transition order: the newest use of an offset wins.
  for (let i = 0; i < types; i++) set(i);
  for (let t = 0; t < time; t++) set(buf[indexes + t]!);
  if (timeSize === 8) {
    // The footer's POSIX rule governs times after the last transition.
    const footer = buf.toString('latin1', at + blockSize(h, 8)).split('\n')[1];
    if (footer) readPosixTz(footer, out);
  }
}

/** `CET-1CEST,M3.5.0,...`, `EST5EDT`, `<+03>-3`: the standard and daylight names and offsets. */
function readPosixTz(rule: string, out: Map<number, string>): void {
  const m = /^(<[^>]+>|[A-Za-z]{3,})([+-]?\d{1,2}(?::\d{2}){0,2})(<[^>]+>|[A-Za-z]{3,})?([+-]?\d{1,2}(?::\d{2}){0,2})?/.exec(rule);
  if (!m) return;
  const seconds = (text: string) => {
    const [hh, mm = '0', ss = '0'] = text.replace(/^[+-]/, '').split(':');
    return (text.startsWith('-') ? 1 : -1) * (Number(hh) * 3600 + Number(mm) * 60 + Number(ss));
  };
  const name = (text: string) => text.replace(/^<|>$/g, '');
  const std = seconds(m[2]!);
  out.set(std, name(m[1]!));
  if (m[3]) out.set(m[4] ? seconds(m[4]) : std + 3600, name(m[3]));
}
