/**
 * Node side of xinetd-ts-launcher: a pool of launcher processes (core/launcher/launcher-process.ts),
 * one per core by default, so that starting servers uses every core and a descriptor waiting for
 * its acknowledgement never holds up the next connection (docs/launcher.md).
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import type * as dgram from 'node:dgram';
import type * as net from 'node:net';
import type { LaunchPlan } from './launch-plan.js';
import { LauncherProcess, type LauncherOptions as ProcessOptions } from './launcher-process.js';
import { LauncherScheduling } from './launcher-scheduling.js';
import type { RunningServer } from './running-server.js';
import type { WatchedSocket } from './watched-socket.js';

export { decodeToken, encodePlan, encodeToken } from './wire-encoding.js';
export type { LauncherServerExit, RunningServer } from './running-server.js';
export type { PeerAddress, WatchedSocket } from './watched-socket.js';

export interface LauncherOptions extends ProcessOptions {
  /**
   * Number of launcher processes (default: XINETD_TS_LAUNCHERS, else the number of cores,
   * at most MAX_PROCESSES).
   */
  readonly processes?: number;
  /** How long a process with starts in flight may stay silent before it counts as stuck (ms, default 10). */
  readonly stalledMs?: number;
}

const MAX_PROCESSES = 8;
/** Starts in flight plus servers just started, per process, from which the pool queues on one. */
const DEEP_QUEUE_PER_PROCESS = 8;
/**
 * A process with starts in flight that has said nothing for this long is stuck on one. A busy
 * launcher reports at least every 2 ms (core/launcher/native/children.c).
 */
const STALLED_MS = 10;
const DEFAULT_CAP = 4;

function processCount(requested: number | undefined): number {
  const fromEnv = Number(process.env.XINETD_TS_LAUNCHERS);
  const n = requested ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.min(DEFAULT_CAP, availableParallelism()));
  return Math.max(1, Math.min(MAX_PROCESSES, Math.floor(n)));
}

/**
 * The launcher processes as one launcher. Events (from any process): 'error' (Error: a launcher
 * process died; it is restarted automatically), 'restart' (a new one is up), 'warning'.
 *
 * wait = no starts go to a process with no descriptor waiting for its acknowledgement and the
 * fewest starts in flight; wait = yes sockets all live in the first process (they are few and
 * their launches are serialised by the socket anyway). Plans are registered per process.
 */
export class Launcher extends EventEmitter {
  private readonly scheduling = LauncherScheduling.create();

  private constructor(
    private readonly processes: readonly LauncherProcess[],
    private readonly stalledMs: number,
  ) {
    super();
    this.scheduling?.follow(0, processes);
    for (const p of processes) {
      p.on('error', (e: Error) => {
        if (this.listenerCount('error') > 0) this.emit('error', e);
        else process.stderr.write(`xinetd-ts: ${e.message}\n`);
      });
      p.on('restart', () => {
        // The new process has the daemon's policy: give it the pool's.
        this.scheduling?.forget();
        this.scheduling?.follow(this.inFlight(), processes);
        this.emit('restart');
      });
      p.on('warning', (e: Error) => {
        if (this.listenerCount('warning') > 0) this.emit('warning', e);
      });
    }
  }

  /** Start the launcher processes and wait until every one answers. */
  static async start(options: LauncherOptions = {}): Promise<Launcher> {
    const n = processCount(options.processes);
    const results = await Promise.allSettled(Array.from({ length: n }, () => LauncherProcess.start(options)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(results.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
      throw failed.reason;
    }
    return new Launcher(results.map((r) => (r as PromiseFulfilledResult<LauncherProcess>).value), options.stalledMs ?? STALLED_MS);
  }

  /** pid of the first launcher process, the one watching wait = yes sockets. */
  get launcherPid(): number | undefined {
    return this.processes[0]!.launcherPid;
  }

  /** pids of every launcher process (undefined while one is being restarted). */
  get launcherPids(): readonly (number | undefined)[] {
    return this.processes.map((p) => p.launcherPid);
  }

  /** Number of servers started and not yet ended, over every process. */
  get running(): number {
    let n = 0;
    for (const p of this.processes) n += p.running;
    return n;
  }

  /**
   * Start a server with the accepted socket as its fds 0, 1 and 2 (wait = no). Pending writes
   * on the socket (a banner) are flushed first; the daemon's copy is closed once the launcher
   * has it. Create the server with `pauseOnConnect: true` so no client data is read here.
   */
  launchWithSocket(socket: net.Socket, plan: LaunchPlan): Promise<RunningServer> {
    return this.pick().launchWithSocket(socket, plan);
  }

  /** The same for a bare accepted descriptor, which this call takes over (see LauncherProcess). */
  launchWithDescriptor(fd: number, plan: LaunchPlan): Promise<RunningServer> {
    return this.pick().launchWithDescriptor(fd, plan);
  }

  /**
   * Hand a listening stream socket or a bound datagram socket (wait = yes) to the launcher,
   * which watches it from now on; the daemon's object is closed as soon as it has been sent
   * (its 'close' event fires) and must not be used any more. Call it right after 'listening'.
   */
  adopt(handle: net.Server | dgram.Socket, kind: 'stream' | 'dgram'): WatchedSocket {
    return this.processes[0]!.adopt(handle, kind);
  }

  /**
   * Round trip to every launcher process. Each one reaps before it answers, so when this
   * resolves every server that had ended when the request arrived has been reported.
   */
  async ping(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.ping()));
  }

  /** Stop every launcher process (servers keep running, as with xinetd). */
  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.close()));
  }

  /** Starts sent and not yet confirmed or refused, over every process. */
  private inFlight(): number {
    let n = 0;
    for (const p of this.processes) n += p.inFlight;
    return n;
  }

  /**
   * The CPUs are busy with what was just started, so a second start in parallel only competes
   * with it and lengthens the slowest connections: at least two servers per launcher process
   * started in the last moments and still running (at 8 clients of a spawned /bin/cat on two
   * cores, p99 25-30 ms spread over two processes against 13-15 ms queued on one, at the same
   * rate), or a deep queue of starts (at 64 clients of a spawned `hello`, spread: p99 47-57 ms
   * against 32-47 ms queued on one, xinetd 37-43 ms).
   */
  private crowded(now: number, queued: number): boolean {
    let running = 0;
    for (const p of this.processes) running += p.recentlyStarted(now);
    const n = this.processes.length;
    return running >= 2 * n || running + queued >= DEEP_QUEUE_PER_PROCESS * n;
  }

  /**
   * While crowded(), the first process, so starts run one at a time in arrival order, unless it
   * is stuck on one (silent for STALLED_MS with starts in flight: an `initgroups` waiting for a
   * slow directory service, say), which must not hold up every other service's starts.
   * Otherwise a running process with no descriptor waiting for its acknowledgement and the fewest starts
   * in flight; else the running one with the fewest starts in flight; else (all restarting) the
   * first, whose start then waits for it. Ties go to the first: under light load one process
   * (warm in cache, on one core) does the work, the others join when it is busy.
   */
  private pick(): LauncherProcess {
    const ps = this.processes;
    const queued = this.inFlight();
    this.scheduling?.follow(queued, ps);
    if (ps.length === 1) return ps[0]!;
    const first = ps[0]!;
    const now = performance.now();
    if (first.isUp && this.crowded(now, queued) && !first.stalled(now, this.stalledMs)) return first;
    let idle: LauncherProcess | undefined;
    let busy: LauncherProcess | undefined;
    for (const p of ps) {
      if (!p.isUp) continue;
      if (!p.awaitingAck) {
        if (!idle || p.inFlight < idle.inFlight) idle = p;
      } else if (!busy || p.inFlight < busy.inFlight) {
        busy = p;
      }
    }
    return idle ?? busy ?? ps[0]!;
  }
}
