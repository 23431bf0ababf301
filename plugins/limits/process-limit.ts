import type { Daemon } from '../../core/daemon.js';
import { LimitStage } from '../../core/hooks.js';
import { refuse } from '../../core/refusal.js';
import { PLUGIN_NAME } from './attributes.js';
import { checkedOnFreshCounts } from './fresh-counts.js';

/** `-limit N` (reference 7.5): daemon-wide cap on running servers; 0 or absent = no cap. */
export function tapProcessLimit(daemon: Daemon, fresh: () => Promise<void> | undefined): void {
  const limit = daemon.options.processLimit;
  if (!limit) return;
  daemon.hooks.limit.tapAsync({ name: PLUGIN_NAME, stage: LimitStage.PROCESS }, checkedOnFreshCounts(fresh, () => {
    if (daemon.runningServers + 1 <= limit) return undefined;
    return refuse('process_limit', `${daemon.runningServers} of ${limit} servers running (-limit)`);
  }));
}
