import type { Daemon } from '../../core/daemon.js';
import { peerText } from '../../core/connection.js';
import { LimitStage } from '../../core/hooks.js';
import { refuse, type Refusal } from '../../core/refusal.js';
import { PLUGIN_NAME, type LimitKeys } from './attributes.js';
import { LoadAverage } from './load-average.js';

/**
 * Test-only: read the load average from this file instead of /proc/loadavg, so tests can set
 * any load. Never set it in production.
 */
export const LOADAVG_ENV = 'XINETD_TS_TEST_LOADAVG_FILE';

/** max_load (reference 7.4): refuse while the 1-minute load average is >= max_load. */
export function tapMaxLoad(daemon: Daemon, keys: LimitKeys): void {
  const load = new LoadAverage({ path: process.env[LOADAVG_ENV] || undefined, onError: (m) => daemon.message('error', m) });
  // Callback style: the load average is read at most once a second, so usually no I/O waits.
  daemon.hooks.limit.tapAsync({ name: PLUGIN_NAME, stage: LimitStage.LOAD, applies: (s) => s.values.get(keys.maxLoad) !== undefined }, (conn, callback) => {
    const max = conn.service.values.get(keys.maxLoad);
    if (max === undefined) return callback(null);
    const decide = (now: number): Refusal | void => {
      if (now < max) return undefined;
      daemon.message('error', `refused connect from ${peerText(conn)} due to excessive load`);
      return refuse('load', `load average ${now} >= max_load ${max}`);
    };
    const now = load.current();
    if (typeof now === 'number') return callback(null, decide(now));
    now.then((value) => callback(null, decide(value)), (error: Error) => callback(error));
  });
}
