import type { InternalServiceRegistry } from './registry.js';
import { chargen } from './chargen.js';
import { daytime } from './daytime.js';
import { discard } from './discard.js';
import { echo } from './echo.js';
import { servers } from './servers.js';
import { services } from './services.js';
import { tcpmux } from './tcpmux.js';
import { time } from './time.js';
import { xadmin } from './xadmin.js';

/** The built-in internal services (xinetd's table, plus the administrative ones it dropped). */
export function addBuiltinServices(registry: InternalServiceRegistry): void {
  for (const spec of [echo, discard, daytime, time, chargen]) registry.add(spec);
  for (const spec of [tcpmux, servers, services, xadmin]) registry.add(spec);
}
