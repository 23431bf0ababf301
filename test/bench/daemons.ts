/**
 * Starting, observing and stopping the daemons under test: xinetd-ts (node + its launcher),
 * Debian's xinetd, openbsd-inetd. Only processes started here are ever signalled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { shebangEnv, shebangNodeOptions } from '../helpers/cli-node-options.js';

export type DaemonKind = 'xinetd-ts' | 'xinetd' | 'openbsd-inetd';

export interface DaemonBinaries {
  readonly root: string;
  readonly xinetd?: string;
  readonly openbsdInetd?: string;
}

export function findBinaries(root: string): DaemonBinaries {
  const xinetd = [process.env.BENCH_XINETD, '/usr/sbin/xinetd'].find((p) => p && existsSync(p));
  const inetd = [process.env.BENCH_OPENBSD_INETD, '/usr/sbin/inetd'].find((p) => p && existsSync(p));
  return { root, xinetd, openbsdInetd: inetd };
}

export class RunningDaemon {
  readonly started = performance.now();
  readonly exited: Promise<void>;

  constructor(
    readonly kind: DaemonKind,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** The daemon's processes: for xinetd-ts also its launcher (its one long-lived child). */
  pids(): number[] {
    const pid = this.child.pid;
    if (pid === undefined) return [];
    if (this.kind !== 'xinetd-ts') return [pid];
    const kids = readText(`/proc/${pid}/task/${pid}/children`)
      .split(' ')
      .filter(Boolean)
      .map(Number)
      .filter((k) => readText(`/proc/${k}/comm`).startsWith('xinetd-ts-launc'));
    return [pid, ...kids];
  }

  /** Resident memory now (`VmRSS`) or the peak so far (`VmHWM`), summed over pids(), in MB. */
  memory(field: 'VmRSS' | 'VmHWM'): number {
    let kb = 0;
    for (const pid of this.pids()) {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readText(`/proc/${pid}/status`));
      if (m) kb += Number(m[1]);
    }
    return kb / 1024;
  }

  /** CPU seconds used by the daemon's own processes (not the servers they reaped). */
  cpuSeconds(): number {
    let ticks = 0;
    for (const pid of this.pids()) {
      const stat = readText(`/proc/${pid}/stat`);
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11] ?? 0) + Number(f[12] ?? 0); // utime, stime (fields 14, 15)
    }
    return ticks / 100;
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves when it has exited. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

export function startDaemon(kind: DaemonKind, bin: DaemonBinaries, config: string, dir: string): RunningDaemon {
  const messages = join(dir, `${kind}-messages.log`);
  let child: ChildProcess;
  // Each daemon in its own session, as a daemon runs (xinetd without -dontfork calls setsid):
  // with the kernel's autogroup scheduling a session shares one CPU share, so a daemon left in
  // the benchmark's session would compete with the load generator for it.
  const options = { stdio: 'ignore', detached: true } as const;
  if (kind === 'xinetd-ts') {
    const cli = join(bin.root, 'dist', 'core', 'cli.js');
    // BENCH_NODE_ARGS: extra node options for xinetd-ts, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
    const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    // BENCH_DAEMON_OUT: a file for its stdout and stderr (what `--trace-gc` prints, say).
    const out = process.env.BENCH_DAEMON_OUT ? openSync(process.env.BENCH_DAEMON_OUT, 'a') : 'ignore';
    child = spawn(process.execPath, [...shebangNodeOptions(cli), ...extra, cli, '-dontfork', '-f', config, '-filelog', messages], { ...options, env: shebangEnv(cli), stdio: ['ignore', out, out] });
    if (typeof out === 'number') closeSync(out);
  } else if (kind === 'xinetd') {
    child = spawn(bin.xinetd!, ['-dontfork', '-f', config, '-filelog', messages, '-pidfile', join(dir, 'xinetd.pid')], options);
  } else {
    child = spawn(bin.openbsdInetd!, ['-i', config], options);
  }
  const d = new RunningDaemon(kind, child);
  live.add(d);
  void d.exited.then(() => live.delete(d));
  return d;
}

/** Daemons still running: stopped on exit, whatever happens. */
export const live = new Set<RunningDaemon>();

/** One connection that returns data, to host:port, bounded by ms. */
export function probe(host: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, ms);
    s.once('data', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    s.once('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/** Milliseconds from the daemon's spawn to its first served connection, or undefined. */
export async function firstConnection(d: RunningDaemon, host: string, port: number, limitMs = 15_000): Promise<number | undefined> {
  while (performance.now() - d.started < limitMs) {
    if (d.child.exitCode !== null) return undefined;
    if (await probe(host, port, 500)) return performance.now() - d.started;
    await new Promise((r) => setTimeout(r, 2));
  }
  return undefined;
}
