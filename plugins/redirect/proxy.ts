import net, { type Socket } from 'node:net';
import type { Session, SessionEnd } from '../../core/session.js';
import { setLongTimeout } from '../../core/long-timer.js';
import { systemErrorText } from '../../core/system-error-text.js';
import type { ResolvedTarget } from './targets.js';

export interface ProxyOptions {
  /** The service's id, for messages. */
  readonly id: string;
  readonly timeoutMs: number;
  readonly keepAlive: boolean;
  /** Count bytes for the TRAFFIC record. */
  readonly traffic: boolean;
  /** The daemon's ERROR message. */
  readonly log: (message: string) => void;
}

const where = (t: ResolvedTarget) => `${t.address} port ${t.port}${t.host === t.address ? '' : ` (${t.host})`}`;

/**
 * Proxy one client to the first target that accepts. Both directions are piped, so a slow side
 * pauses the other (bounded memory) and an EOF is passed on as a half-close: a client that
 * shuts down its sending side still gets the whole reply. `clientAddress`: the address accepted
 * (a reset client's socket no longer knows it).
 */
export function proxy(client: Socket, targets: readonly ResolvedTarget[], options: ProxyOptions, clientAddress = client.remoteAddress): Session {
  let upstream: Socket | undefined;
  let finish!: (end: SessionEnd) => void;
  const done = new Promise<SessionEnd>((resolve) => (finish = resolve));
  client.allowHalfOpen = true;
  client.setNoDelay(true);
  // Read ahead while the targets are tried (at most the socket's high-water mark, kept for the
  // target; an EOF is kept too): a socket that is not read never learns that its client reset,
  // and the session would hold its descriptor and its instances slot until the connect failed.
  client.read(0);

  const end = () => {
    if (!upstream) return finish({ status: 0 });
    const traffic = options.traffic ? { in: client.bytesRead, out: upstream.bytesRead } : undefined;
    finish(traffic ? { status: 0, traffic } : { status: 0 });
  };

  const tryTarget = (i: number): void => {
    if (client.destroyed) return end();
    const target = targets[i];
    if (!target) {
      options.log(`${options.id}: no redirect target reachable; closing the connection from ${clientAddress ?? '<no address>'}`);
      client.destroy();
      return end();
    }
    const socket = net.connect({ host: target.address, port: target.port, localAddress: target.localAddress, allowHalfOpen: true, noDelay: true, keepAlive: options.keepAlive });
    const timer = setLongTimeout(() => socket.destroy(new Error(`timed out after ${options.timeoutMs / 1000} s`)), options.timeoutMs);
    // The client left while we were connecting: give up on this target and end the session.
    const abandon = () => {
      timer.clear();
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      end();
    };
    client.once('close', abandon);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      timer.clear();
      client.off('close', abandon);
      const next = targets[i + 1];
      // xinetd's line first (`can't connect to remote host ADDRESS: %m`), then which service,
      // port and next target.
      options.log(`can't connect to remote host ${target.address}: ${systemErrorText(error)} (${options.id}, ${where(target)}${next ? `; trying ${where(next)}` : ''})`);
      tryTarget(i + 1);
    });
    socket.once('connect', () => {
      timer.clear();
      client.off('close', abandon);
      socket.removeAllListeners('error');
      connected(socket, target);
    });
  };

  const connected = (socket: Socket, target: ResolvedTarget) => {
    upstream = socket;
    let open = 2;
    const closed = () => {
      if (--open === 0) end();
    };
    socket.on('error', (error: NodeJS.ErrnoException) => {
      options.log(`${options.id}: connection to ${where(target)} failed: ${systemErrorText(error)}`);
      client.destroy();
    });
    socket.once('close', closed);
    // An aborted client (reset, stop) takes the backend connection with it; a clean close
    // leaves the backend to flush what it still has to receive.
    client.once('close', (hadError: boolean) => {
      if (hadError || client.errored) socket.destroy();
      closed();
    });
    client.pipe(socket);
    socket.pipe(client);
  };

  tryTarget(0);
  return {
    pid: 0,
    done,
    stop: () => {
      upstream?.destroy();
      client.destroy();
    },
  };
}
