import type { Daemon } from '../../core/daemon.js';
import type { ServiceConfig } from '../../core/service-config.js';
import { LimitStage } from '../../core/hooks.js';
import { refuse } from '../../core/refusal.js';
import { sourceKey, type ServiceState } from '../../core/service-state.js';
import { PLUGIN_NAME, type LimitKeys } from './attributes.js';
import { checkedOnFreshCounts } from './fresh-counts.js';
import { prefixSource } from './source-prefix.js';

/** Bound on remembered address -> prefix translations (a cache, not state). */
const CACHE_MAX = 4096;

/**
 * per_source (reference 7.2): live sessions from the client's source, as the core keys them
 * (IPv4 and IPv4-mapped are one source). With `/LEN`, IPv6 sources in one prefix are summed.
 */
export function tapPerSource(daemon: Daemon, keys: LimitKeys, fresh: () => Promise<void> | undefined): void {
  const prefixes = new Map<string, string>();
  const groupOf = (source: string, len: number): string => {
    const id = `${len} ${source}`;
    let group = prefixes.get(id);
    if (group === undefined) {
      if (prefixes.size >= CACHE_MAX) prefixes.clear();
      prefixes.set(id, (group = prefixSource(source, len)));
    }
    return group;
  };
  const countInPrefix = (state: ServiceState, source: string, len: number): number => {
    const group = groupOf(source, len);
    let n = 0;
    for (const [other, count] of state.sources()) if (groupOf(other, len) === group) n += count;
    return n;
  };

  const applies = (s: ServiceConfig): boolean => s.values.get(keys.perSource)!.max !== Number.POSITIVE_INFINITY;
  daemon.hooks.limit.tapAsync({ name: PLUGIN_NAME, stage: LimitStage.PER_SOURCE, applies }, checkedOnFreshCounts(fresh, (conn) => {
    const { max, prefix6 } = conn.service.values.get(keys.perSource)!;
    if (max === Number.POSITIVE_INFINITY) return undefined;
    const source = sourceKey(conn.peer?.address);
    if (source === undefined) return undefined; // wait = yes streams have no client address (xinetd skips too)
    const grouped = prefix6 !== undefined && source.includes(':');
    const n = grouped ? countInPrefix(conn.state, source, prefix6) : conn.state.sessionsFrom(source);
    if (n < max) return undefined;
    return refuse('per_source_limit', `${n} of ${max} sessions from ${grouped ? groupOf(source, prefix6) : source}`);
  }));
}
