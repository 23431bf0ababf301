import type { Daemon } from '../core/daemon.js';
import { replyAndClose, type InternalServiceSpec } from './define.js';
import { runningServers } from './admin-listings.js';

/** servers: the running servers, `id pid=PID` per line (dropped by xinetd in 2.3.12). */
export const servers: InternalServiceSpec<Daemon> = {
  name: 'servers',
  exposesHost: true,
  setup: (_service, daemon) => daemon,
  stream: { mode: 'session', serve: (socket, ctx) => replyAndClose(socket, runningServers(ctx.data)) },
};
