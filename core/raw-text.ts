/**
 * Text that keeps bytes which are not UTF-8. xinetd copies `server_args`, `env` values and its
 * own environment byte for byte into a server's argv and environ, so a Latin-1 xinetd.conf or a
 * daemon environment in another charset reaches the server unchanged. Node decodes such bytes to
 * U+FFFD; here each byte of an invalid sequence becomes the lone surrogate U+DC80 + byte (as
 * Python's "surrogateescape"), which valid UTF-8 never decodes to, and `bytesFromText` turns it
 * back into that byte. Anywhere else (logs, file names) such a character is written as U+FFFD,
 * as before.
 */

// ignoreBOM: keep a leading BOM in the text, as Buffer#toString does.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const ESCAPED = /[\uDC80-\uDCFF]/;

/** The bytes as text: UTF-8 where they are UTF-8, escaped bytes elsewhere. */
export function textFromBytes(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return escapeInvalid(bytes);
  }
}

/** The inverse of textFromBytes: UTF-8, with each escaped byte written as itself. */
export function bytesFromText(text: string): Buffer {
  if (!ESCAPED.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  // for-of walks code points: a valid surrogate pair never reaches the single-unit test.
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    parts.push(ch.length === 1 && c >= 0xdc80 && c <= 0xdcff ? Buffer.of(c - 0xdc00) : Buffer.from(ch, 'utf8'));
  }
  return Buffer.concat(parts);
}

/** Length of the valid UTF-8 sequence starting at `i` (RFC 3629 table), 0 if there is none. */
function sequenceLength(b: Uint8Array, i: number): number {
  const lead = b[i]!;
  const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => i + j < b.length && b[i + j]! >= lo && b[i + j]! <= hi;
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return cont(1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const second = lead === 0xe0 ? cont(1, 0xa0) : lead === 0xed ? cont(1, 0x80, 0x9f) : cont(1);
    return second && cont(2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const second = lead === 0xf0 ? cont(1, 0x90) : lead === 0xf4 ? cont(1, 0x80, 0x8f) : cont(1);
    return second && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

function escapeInvalid(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let out = '';
  let start = 0;
  let i = 0;
  while (i < buf.length) {
    const n = sequenceLength(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += buf.toString('utf8', start, i) + String.fromCharCode(0xdc00 + buf[i]!);
    start = ++i;
  }
  return out + buf.toString('utf8', start);
}
