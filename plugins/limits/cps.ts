import type { Daemon } from '../../core/daemon.js';
import { LimitStage } from '../../core/hooks.js';
import { refuse } from '../../core/refusal.js';
import type { ServiceConfig } from '../../core/service-config.js';
import { DEFAULT_CPS, PLUGIN_NAME, type LimitKeys } from './attributes.js';
import { CpsWindow, type Clock } from './cps-window.js';
import { switchOff } from './switch-off.js';

/**
 * cps (reference 7.3). One window per configuration generation: a reload starts the count
 * afresh, as xinetd's does. Runs after authorize, so clients refused by address never count.
 */
export function tapCps(daemon: Daemon, keys: LimitKeys, clock?: Clock): void {
  const windows = new WeakMap<ServiceConfig, CpsWindow>();
  daemon.hooks.limit.tap({ name: PLUGIN_NAME, stage: LimitStage.CPS, applies: (s) => (s.values.get(keys.cps) ?? DEFAULT_CPS).rate !== 0 }, (conn) => {
    const cps = conn.service.values.get(keys.cps) ?? DEFAULT_CPS;
    if (cps.rate === 0) return undefined;
    let window = windows.get(conn.service);
    if (!window) windows.set(conn.service, (window = new CpsWindow(cps.rate, clock)));
    // Its arrival time, as xinetd's time(NULL) at accept: no clock read per connection.
    if (!window.hit(clock ? undefined : conn.startedAt)) return undefined;
    switchOff(daemon, conn.state, 'excessive incoming connections', cps.wait);
    return refuse('connections per second', `more than ${cps.rate} connections per second`);
  });
}
