import type { Socket } from 'node:net';
import type { AttributeKey } from '../core/config/attributes.js';
import type { Daemon } from '../core/daemon.js';
import type { ServiceConfig } from '../core/service-config.js';
import type { InternalContext, InternalServiceSpec } from './define.js';

/** xinetd's replies end with the C string's NUL byte (reference 10.3). */
const GO = Buffer.from('+Go\r\n\0', 'latin1');
const NOT_FOUND = Buffer.from('-Service name not found\r\n\0', 'latin1');
/** xinetd does one read() of at most 1024 bytes. */
const MAX_REQUEST = 1024;
/** The banner plugin's attribute (values are keyed by name); without that plugin, never set. */
const BANNER_FAIL = { name: 'banner_fail' } as AttributeKey<string>;

/** The TCPMUX / TCPMUXPLUS service with this name (case-insensitive, by name, not id). */
function muxClient(daemon: Daemon, name: string): ServiceConfig | undefined {
  const wanted = name.toLowerCase();
  for (const svc of daemon.activeServices()) {
    const c = svc.state.config;
    if ((c.types.has('TCPMUX') || c.types.has('TCPMUXPLUS')) && c.name.toLowerCase() === wanted) return c;
  }
  return undefined;
}

/** The name in a `NAME\r\n` request: xinetd compares a C string, so it ends at a NUL byte. */
function requestedName(request: Buffer): string {
  const end = request.length - 2;
  const nul = request.indexOf(0);
  return request.toString('latin1', 0, nul >= 0 && nul < end ? nul : end);
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
  const target = muxClient(daemon, requestedName(request));
  if (!target) {
    socket.end(NOT_FOUND);
    socket.destroySoon();
    return;
  }
  // A spawned server gets the connection as it is: the client's EOF, often read with the
  // request, must not make Node end and close the daemon's side while the start is under way
  // (the launcher then got the command without the connection). In-process services keep
  // Node's default: EOF ends the session.
  if (!target.types.has('INTERNAL') && daemon.inProcessOwner(target) === undefined) socket.allowHalfOpen = true;
  // The named service's own pipeline (access, limits, launch, records) takes the socket over;
  // its `banner` is never sent, as the accept was tcpmux's (its banner_success/fail are), and
  // the `+Go` of TCPMUXPLUS goes out in front of them (tapPlusReply).
  void daemon.dispatch(target, socket, ctx.service).then((served) => {
    if (!served) socket.destroy();
  });
}

/** tcpmux (RFC 1078): reads `NAME\r\n` and hands the connection to that TCPMUX service. */
export const tcpmux: InternalServiceSpec<Daemon> = {
  name: 'tcpmux',
  setup: (_service, daemon) => daemon,
  stream: (socket, ctx) => {
    // The client went away (EOF or an error) before any request: xinetd's words for it.
    const unread = () => {
      ctx.data.message('error', 'read failed');
      socket.destroy();
    };
    socket.once('end', unread);
    socket.once('error', unread);
    socket.once('data', (chunk: Buffer) => {
      socket.off('end', unread);
      socket.off('error', unread);
      onRequest(ctx, socket, chunk);
    });
    socket.resume();
  },
};

/**
 * `+Go\r\n\0` for a client tcpmux handed to a TCPMUXPLUS service, sent as xinetd 2.3.15 lets it
 * out: in front of the first bytes that service sends (its banner_success or server when the
 * client is admitted, its banner_fail when refused). A client refused silently gets no `+Go`:
 * it must not be told the service is there for it. Runs before the banner plugin's tap.
 */
export function tapPlusReply(daemon: Daemon, pluginName: string): void {
  daemon.hooks.decided.tap({ name: pluginName, stage: -100, applies: (s) => s.types.has('TCPMUXPLUS') }, (conn, decision) => {
    if (conn.acceptedBy && (decision.admitted || conn.service.values.has(BANNER_FAIL))) conn.socket?.write(GO);
  });
}
