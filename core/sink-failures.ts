/** How often a sink that keeps failing is reported again, with the count of failures between. */
const REPORT_EVERY_MS = 60_000;

/**
 * A log sink that throws (a plugin's bug, a sink whose destination went away) is reported where
 * the daemon's own messages go (-filelog, syslog), not only to a stderr a detached daemon does
 * not have: the first failure at once, then at most one line a minute per sink, with the count.
 * The report is itself a log record; a failure while reporting is not reported again (the
 * failing sink would otherwise fail on its own report, for ever).
 */
export function sinkFailureReporter(report: (text: string) => void, now: () => number = Date.now): (sink: string, error: unknown) => void {
  const state = new Map<string, { lastAt: number; since: number }>();
  let reporting = false;
  return (sink, error) => {
    if (reporting) return;
    const t = now();
    const s = state.get(sink);
    if (s && t - s.lastAt < REPORT_EVERY_MS) {
      s.since++;
      return;
    }
    const more = s && s.since > 0 ? ` (${s.since} more failures since the last report)` : '';
    state.set(sink, { lastAt: t, since: 0 });
    reporting = true;
    try {
      report(`log sink ${sink} failed: ${error instanceof Error ? error.message : String(error)}${more}`);
    } finally {
      reporting = false;
    }
  };
}
