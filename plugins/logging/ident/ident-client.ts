import net from 'node:net';
import { identQuery, MAX_REPLY, parseIdentReply, printable, type IdentResult } from './ident-reply.js';

export interface IdentRequest {
  /** The client's address and port. */
  readonly remote: { readonly address: string; readonly port: number };
  /** The address and port the client connected to: the query goes out from that address. */
  readonly local: { readonly address: string; readonly port: number };
  readonly timeoutMs: number;
  /** A reply that is not a USERID answer (xinetd logs it as an error). */
  onBadLine?(line: string): void;
  /** The server closed without CR LF. */
  onMissingCrLf?(): void;
  /** No CR LF within the first MAX_REPLY bytes. */
  onTooMuch?(): void;
}

export const IDENT_PORT = 113;

/** The address the lookup talks to (and messages name, as xinetd's do): plain IPv4 for a mapped client. */
export function identServerHost(remote: string, local: string | undefined): string {
  return addresses(remote, local ?? '').host;
}

/** Both ends IPv4-mapped: talk plain IPv4 (a v4 socket works where the v6 one may not). */
function addresses(remote: string, local: string): { host: string; localAddress: string | undefined } {
  const mapped = (a: string) => a.startsWith('::ffff:') && a.includes('.');
  if (mapped(remote) && (mapped(local) || !local)) return { host: remote.slice(7), localAddress: local ? local.slice(7) : undefined };
  return { host: remote, localAddress: local || undefined };
}

/**
 * One RFC 1413 lookup, as xinetd does it: a TCP connection from the local address the client
 * reached to the client's port 113, the query `RPORT,LPORT\r\n`, one reply line of at most
 * MAX_REPLY bytes. Never rejects; everything is bounded by `timeoutMs`.
 */
export function identLookup(request: IdentRequest): Promise<IdentResult> {
  const { remote, local } = request;
  return new Promise<IdentResult>((resolve) => {
    const { host, localAddress } = addresses(remote.address, local.address);
    let socket: net.Socket;
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (result: IdentResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout' }), request.timeoutMs);
    try {
      socket = net.connect({ host, port: IDENT_PORT, localAddress });
    } catch (error) {
      finish({ ok: false, reason: 'system error', error: (error as Error).message });
      return;
    }
    socket.on('connect', () => socket.write(identQuery(remote.port, local.port)));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') finish({ ok: false, reason: 'no server' });
      else if (socket.connecting) finish({ ok: false, reason: 'system error', error: error.message });
      else finish({ ok: false, reason: 'error while receiving response', error: error.message });
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n');
      // xinetd's buffer holds the CR LF too: a line ending beyond it is refused even when the
      // whole reply came in one read.
      if (end < 0 ? received.length >= MAX_REPLY : end + 2 > MAX_REPLY) {
        request.onTooMuch?.();
        finish({ ok: false, reason: 'error while receiving response' });
        return;
      }
      if (end < 0) return;
      const line = received.subarray(0, end).toString('latin1');
      const text = parseIdentReply(line, remote.port, local.port);
      if (text === undefined) {
        request.onBadLine?.(printable(line));
        finish({ ok: false, reason: 'bad response' });
      } else {
        finish({ ok: true, text: printable(text) });
      }
    });
    socket.on('end', () => {
      request.onMissingCrLf?.();
      finish({ ok: false, reason: 'error while receiving response' });
    });
    socket.on('close', () => finish({ ok: false, reason: 'error while receiving response' }));
  });
}
