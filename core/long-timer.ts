/**
 * Timers for delays an administrator writes (cps WAIT, redirect_timeout, -cc). Node holds at
 * most 2^31 - 1 ms (24.8 days) in one timer; a longer delay fires after 1 ms, with a warning on
 * stderr: `cps = 10 3000000` switched a service back on at once, `redirect_timeout = 3000000`
 * timed every target out at once. xinetd counts such delays in seconds and honours them.
 */
export const MAX_TIMER_MS = 0x7fffffff;

export interface LongTimer {
  clear(): void;
}

/** setTimeout for any delay: a longer one is a chain of the longest timers Node holds. */
export function setLongTimeout(callback: () => void, ms: number, options: { unref?: boolean } = {}): LongTimer {
  let timer: NodeJS.Timeout | undefined;
  let left = Number.isNaN(ms) ? 0 : Math.max(0, ms);
  const arm = (): void => {
    const step = Math.min(left, MAX_TIMER_MS);
    left -= step;
    timer = setTimeout(left > 0 ? arm : callback, step);
    if (options.unref) timer.unref();
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}

/** setInterval for any period (see setLongTimeout). */
export function setLongInterval(callback: () => void, ms: number, options: { unref?: boolean } = {}): LongTimer {
  let current: LongTimer;
  const tick = (): void => {
    current = setLongTimeout(tick, ms, options);
    callback();
  };
  current = setLongTimeout(tick, ms, options);
  return { clear: () => current.clear() };
}
