/** The results of an ident lookup, in xinetd's words (used in NOID records). */
export type IdentFailure = 'no server' | 'timeout' | 'system error' | 'error while receiving response' | 'bad response';

export type IdentResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: IdentFailure; readonly error?: string };

/** Longest reply line read from an ident server (xinetd's buffer). */
export const MAX_REPLY = 1024;

/** The query xinetd sends: the client's port first, ours second, no spaces. */
export function identQuery(remotePort: number, localPort: number): string {
  return `${remotePort},${localPort}\r\n`;
}

/**
 * Parse `RPORT , LPORT : USERID : REST` (whitespace allowed around tokens, `USERID` case
 * sensitive, ports must match the query). The text is REST with leading blanks removed.
 */
export function parseIdentReply(line: string, remotePort: number, localPort: number): string | undefined {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*:\s*USERID\s*:(.*)$/.exec(line);
  if (!m || Number(m[1]) !== remotePort || Number(m[2]) !== localPort) return undefined;
  const text = m[3]!.replace(/^\s+/, '');
  return text.length > 0 ? text : undefined;
}

/** Untrusted text made safe for one log line. */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
