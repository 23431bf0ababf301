import type { Daemon } from '../core/daemon.js';
import { replyAndClose, type InternalServiceSpec } from './define.js';
import { availableServices } from './admin-listings.js';

/** services: the active services, `name protocol port` per line (dropped by xinetd in 2.3.12). */
export const services: InternalServiceSpec<Daemon> = {
  name: 'services',
  exposesHost: true,
  setup: (_service, daemon) => daemon,
  stream: { mode: 'session', serve: (socket, ctx) => replyAndClose(socket, availableServices(ctx.data)) },
};
