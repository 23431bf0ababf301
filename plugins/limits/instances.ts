import type { Daemon } from '../../core/daemon.js';
import type { ServiceConfig } from '../../core/service-config.js';
import { LimitStage } from '../../core/hooks.js';
import { refuse } from '../../core/refusal.js';
import { PLUGIN_NAME, type LimitKeys } from './attributes.js';
import { checkedOnFreshCounts } from './fresh-counts.js';

/** instances (reference 7.1): every live counted session of the service, in-process ones too. */
export function tapInstances(daemon: Daemon, keys: LimitKeys, fresh: () => Promise<void> | undefined): void {
  const applies = (s: ServiceConfig): boolean => (s.values.get(keys.instances) ?? Number.POSITIVE_INFINITY) !== Number.POSITIVE_INFINITY;
  daemon.hooks.limit.tapAsync({ name: PLUGIN_NAME, stage: LimitStage.INSTANCES, applies }, checkedOnFreshCounts(fresh, (conn) => {
    const max = conn.service.values.get(keys.instances) ?? Number.POSITIVE_INFINITY;
    if (conn.state.running < max) return undefined;
    return refuse('service_limit', `${conn.state.running} of ${max} instances running`);
  }));
}
