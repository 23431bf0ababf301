/**
 * An error nothing caught (a plugin's timer that throws, a promise nobody awaits) leaves the
 * daemon in a state no one can vouch for, so it ends, as Node would. Node would print the
 * stack on stderr, which a detached daemon does not have: the cause went nowhere and the pid
 * file stayed. Here the cause is logged where the daemon's messages go (-filelog, syslog)
 * before the daemon shuts down as on SIGTERM, with exit status 1; a shutdown that hangs is cut
 * after FORCE_EXIT_MS.
 */
const FORCE_EXIT_MS = 3000;

export function describeUncaught(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // The first frame says where: enough to find the plugin, short enough for one syslog line.
  const frame = error.stack?.split('\n').find((l) => /^\s+at /.test(l))?.trim();
  return `${error.name}: ${error.message}${frame ? ` (${frame})` : ''}`;
}

export function endOnUncaughtErrors(report: (text: string) => void, shutdown: () => Promise<unknown>): void {
  let ending = false;
  const end = (error: unknown) => {
    if (ending) return;
    ending = true;
    try {
      report(`uncaught error, exiting: ${describeUncaught(error)}`);
    } catch {
      // the logging itself is what failed: end all the same
    }
    setTimeout(() => process.exit(1), FORCE_EXIT_MS);
    void shutdown().finally(() => process.exit(1));
  };
  process.on('uncaughtException', end);
  process.on('unhandledRejection', end);
}
