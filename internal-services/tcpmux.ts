import type { Socket } from 'node:net';
import type { Daemon } from '../core/daemon.js';
import type { ServiceConfig } from '../core/service-config.js';
import type { InternalContext, InternalServiceSpec } from './define.js';

/** xinetd's replies end with the C string's NUL byte (reference 10.3). */
const GO = Buffer.from('+Go\r\n\0', 'latin1');
const NOT_FOUND = Buffer.from('-Service name not found\r\n\0', 'latin1');
/** xinetd does one read() of at most 1024 bytes. */
const MAX_REQUEST = 1024;

/** The TCPMUX / TCPMUXPLUS service with this name (case-insensitive, by name, not id). */
function muxClient(daemon: Daemon, name: string): ServiceConfig | undefined {
  const wanted = name.toLowerCase();
  for (const svc of daemon.activeServices()) {
    const c = svc.state.config;
    if ((c.types.has('TCPMUX') || c.types.has('TCPMUXPLUS')) && c.name.toLowerCase() === wanted) return c;
  }
  return undefined;
}

function onRequest(ctx: InternalContext<Daemon>, socket: Socket, chunk: Buffer): void {
  const daemon = ctx.data;
  socket.pause();
  const request = chunk.length > MAX_REQUEST ? chunk.subarray(0, MAX_REQUEST) : chunk;
  const n = request.length;
  // Anything but `NAME\r\n` in that single read is closed without a word.
  if (n <= 2 || request[n - 2] !== 0x0d || request[n - 1] !== 0x0a) {
    socket.destroy();
    return;
  }
  const target = muxClient(daemon, request.toString('latin1', 0, n - 2));
  if (!target) {
    socket.end(NOT_FOUND);
    socket.destroySoon();
    return;
  }
  if (target.types.has('TCPMUXPLUS')) socket.write(GO);
  // The named service's own pipeline (access, limits, launch, records) takes the socket over;
  // its `banner` is never sent, as the accept was tcpmux's (its banner_success/fail are).
  void daemon.dispatch(target, socket, ctx.service).then((served) => {
    if (!served) socket.destroy();
  });
}

/** tcpmux (RFC 1078): reads `NAME\r\n` and hands the connection to that TCPMUX service. */
export const tcpmux: InternalServiceSpec<Daemon> = {
  name: 'tcpmux',
  setup: (_service, daemon) => daemon,
  stream: (socket, ctx) => {
    socket.once('data', (chunk: Buffer) => onRequest(ctx, socket, chunk));
    socket.once('end', () => socket.destroy());
    socket.resume();
  },
};
