/**
 * Signals xinetd survives without a word, whose default action would end a Node process (a
 * stray `kill -ALRM`, a power-failure notice, a CPU-time soft limit): the daemon ignores them.
 * SIGPROF is left alone while a profiler runs, which needs it.
 */
const IGNORED: readonly NodeJS.Signals[] = ['SIGALRM', 'SIGVTALRM', 'SIGXCPU', 'SIGIO', 'SIGPWR', 'SIGSYS', 'SIGTRAP', 'SIGSTKFLT'];

export function ignoreStraySignals(): void {
  const profiling = process.execArgv.some((a) => /^--(cpu-)?prof/.test(a));
  for (const signal of profiling ? IGNORED : [...IGNORED, 'SIGPROF' as const]) process.on(signal, () => undefined);
}
