import type { Daemon } from '../../core/daemon.js';
import type { RedirectTarget } from './attributes.js';
import type { ProxyOptions } from './proxy.js';
import { resolveTargets, type ResolvedTarget } from './targets.js';

/**
 * How long the targets of a look-up that failed are used before names are looked up again. A
 * per-connection retry made a flood of clients a flood of look-ups: with a resolver that does not
 * answer, each client waited in line for its own (minutes, its socket held all along).
 */
export const RETRY_AFTER_MS = 5000;

/** What one redirect service does per connection, computed at configuration time. */
export class RedirectPlan {
  /** Numeric addresses; undefined until every name has been resolved once. */
  resolved: readonly ResolvedTarget[] | undefined;
  /** The look-up in progress: every connection meanwhile waits for this one. */
  #pending: Promise<readonly ResolvedTarget[]> | undefined;
  /** The targets found by the last look-up that failed for some name, and when it ended. */
  #partial: readonly ResolvedTarget[] = [];
  #failedAt = Number.NEGATIVE_INFINITY;

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
   * reload); one that failed then is looked up again by a later connection, at most once every
   * RETRY_AFTER_MS; connections in between use the targets that did resolve, and those that come
   * during a look-up share it.
   */
  current(daemon: Daemon): Promise<readonly ResolvedTarget[]> {
    if (this.resolved) return Promise.resolve(this.resolved);
    if (this.#pending) return this.#pending;
    if (performance.now() - this.#failedAt < RETRY_AFTER_MS) return Promise.resolve(this.#partial);
    const pending = resolveTargets(this.targets, this.bind, (m) => daemon.message('error', `${this.id}: ${m}`)).then(({ targets, complete }) => {
      if (complete) this.resolved = targets;
      else {
        this.#partial = targets;
        this.#failedAt = performance.now();
      }
      return targets;
    }).finally(() => {
      if (this.#pending === pending) this.#pending = undefined;
    });
    this.#pending = pending;
    return pending;
  }
}
