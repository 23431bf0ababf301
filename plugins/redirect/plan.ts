import type { Daemon } from '../../core/daemon.js';
import type { RedirectTarget } from './attributes.js';
import type { ProxyOptions } from './proxy.js';
import { resolveTargets, type ResolvedTarget } from './targets.js';

/** What one redirect service does per connection, computed at configuration time. */
export class RedirectPlan {
  /** Numeric addresses; undefined until every name has been resolved once. */
  resolved: readonly ResolvedTarget[] | undefined;

  constructor(
    readonly id: string,
    readonly targets: readonly RedirectTarget[],
    readonly bind: string | undefined,
    readonly options: ProxyOptions,
    resolved: readonly ResolvedTarget[] | undefined,
  ) {
    this.resolved = resolved;
  }

  /**
   * The targets to try now. Names are resolved when the configuration is loaded (start, every
   * reload); one that failed then is looked up again per connection until it resolves.
   */
  async current(daemon: Daemon): Promise<readonly ResolvedTarget[]> {
    if (this.resolved) return this.resolved;
    const { targets, complete } = await resolveTargets(this.targets, this.bind, (m) => daemon.message('error', `${this.id}: ${m}`));
    if (complete) this.resolved = targets;
    return targets;
  }
}
