import type { Connection } from '../../core/connection.js';
import type { Daemon } from '../../core/daemon.js';
import type { Refusal } from '../../core/refusal.js';

/** A count checked again this soon after the last round trip is as fresh as it gets. */
const FRESH_MS = 2;
/** A launcher being restarted must not hold up every admission behind it... */
const ROUND_TRIP_LIMIT_MS = 50;
/** ...nor, during a flood at a limit, once per FRESH_MS: after a round trip that timed out, none for a second. */
const AFTER_TIMEOUT_MS = 1000;

/**
 * Counts of running sessions can trail the truth: the launcher reports an ended server up to
 * 2 ms late (in the middle of a burst of starts), and a client that reconnects the moment its
 * last session ended can arrive first. xinetd, which reaps between accepts, serves it, so
 * a count that would refuse is read again once the launcher has reported every end it has seen.
 *
 * The returned function starts (or joins) that round trip and resolves after the reports have
 * been handled; it returns undefined when there is nothing to wait for (no launcher yet, or a
 * round trip ended within FRESH_MS). A flood of clients at a limit therefore costs one round
 * trip per FRESH_MS, never one per client.
 */
export function freshCounts(daemon: Daemon): () => Promise<void> | undefined {
  let pending: Promise<void> | undefined;
  let doneAt = Number.NEGATIVE_INFINITY;
  return () => {
    if (pending) return pending;
    const launcher = daemon.launcherNow();
    if (!launcher || performance.now() - doneAt < FRESH_MS) return undefined;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve();
      }, ROUND_TRIP_LIMIT_MS);
    });
    pending = Promise.race([launcher.ping(), limit])
      .catch(() => undefined)
      // The ends arrive before the answer; what they free is done a few promise turns later.
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .finally(() => {
        clearTimeout(timer);
        pending = undefined;
        doneAt = performance.now() + (timedOut ? AFTER_TIMEOUT_MS : 0);
      });
    return pending;
  };
}

/**
 * A limit tap (tapAsync) for a check that reads session counts: a refusal stands only if the
 * check still refuses once the counts are fresh.
 */
export function checkedOnFreshCounts(
  fresh: () => Promise<void> | undefined,
  check: (conn: Connection) => Refusal | undefined,
): (conn: Connection, done: (error: Error | null, refusal?: Refusal) => void) => void {
  return (conn, done) => {
    if (!check(conn)) return done(null);
    const wait = fresh();
    if (!wait) return done(null, check(conn));
    wait.then(() => done(null, check(conn)));
  };
}
