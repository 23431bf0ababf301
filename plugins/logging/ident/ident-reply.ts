/** The results of an ident lookup, in xinetd's words (used in NOID records). */
export type IdentFailure = 'no server' | 'timeout' | 'system error' | 'error while receiving response' | 'bad response';

export type IdentResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: IdentFailure; readonly error?: string };

/** xinetd's reply buffer: the line and its CR LF must fit in it. */
export const MAX_REPLY = 1024;

/** The query xinetd sends: the client's port first, ours second, no spaces. */
export function identQuery(remotePort: number, localPort: number): string {
  return `${remotePort},${localPort}\r\n`;
}

// C's isspace() in xinetd's locale: not \s, which would also take the latin1 byte 0xA0.
const REPLY = /^[ \t\n\v\f\r]*(\d+)[ \t\n\v\f\r]*,[ \t\n\v\f\r]*(\d+)[ \t\n\v\f\r]*:[ \t\n\v\f\r]*USERID[ \t\n\v\f\r]*:(.*)$/s;
const EDGE_BLANKS = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g;

/**
 * Parse `RPORT , LPORT : USERID : REST` (whitespace allowed around tokens, `USERID` case
 * sensitive, ports must match the query). The text is REST without its leading and trailing
 * blanks, as xinetd logs it.
 */
export function parseIdentReply(line: string, remotePort: number, localPort: number): string | undefined {
  const m = REPLY.exec(line);
  if (!m || Number(m[1]) !== remotePort || Number(m[2]) !== localPort) return undefined;
  const text = m[3]!.replace(EDGE_BLANKS, '');
  return text.length > 0 ? text : undefined;
}

/** Untrusted text made safe for one log line. */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
