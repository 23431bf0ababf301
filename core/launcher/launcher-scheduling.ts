/**
 * The launcher processes' scheduling policy follows the queue of starts.
 *
 * A launcher woken by a start preempts the daemon when they share a CPU (SCHED_OTHER's wakeup
 * preemption), and the daemon's next accept waits: with a few clients of a spawned server that
 * is where the slowest connections lose their time. As SCHED_BATCH a launcher never preempts on
 * wakeup; it runs on an idle CPU, or when the daemon yields. With many clients, though, starts
 * queue up and the launcher is the bottleneck: it must run as soon as it is woken, so it is
 * SCHED_OTHER again until the queue is short. Servers always get the launcher's starting
 * policy back before exec (core/launcher/native/server-start.c). Measured in
 * docs/performance.md, "Thirteenth session".
 */
import { nativeAccept } from '../accept/native.js';

/** Starts in flight over the pool from which the launchers must run at once (SCHED_OTHER)... */
const QUEUE_FOR_OTHER = 24;
/** ...and at or below which they go back to SCHED_BATCH. */
const QUEUE_FOR_BATCH = 12;
const SCHED_OTHER = 0;

export class LauncherScheduling {
  /** The policy the launchers were given last; undefined: not yet, or a launcher was restarted. */
  #batch: boolean | undefined;

  /** @param setBatch SCHED_BATCH (true) or SCHED_OTHER (false) for a pid; create() passes the addon's. */
  constructor(private readonly setBatch: (pid: number, batch: boolean) => number) {}

  /**
   * Only where the native addon is built and the daemon itself runs as SCHED_OTHER: a daemon
   * an administrator started as SCHED_BATCH, SCHED_IDLE or real-time keeps that for everything
   * it starts, as xinetd's children do. XINETD_TS_LAUNCHER_POLICY=fixed leaves the policy alone.
   */
  static create(): LauncherScheduling | undefined {
    if (!nativeAccept || process.env.XINETD_TS_LAUNCHER_POLICY === 'fixed') return undefined;
    if (nativeAccept.schedulingPolicy(0) !== SCHED_OTHER) return undefined;
    return new LauncherScheduling(nativeAccept.setBatchScheduling);
  }

  /**
   * Called with every start: the number of starts in flight and the launcher processes. Only a
   * launcher that has answered is set: before that it has not noted the policy its servers get
   * back, and a restarted one is set by the pool's 'restart' handler (forget, then follow).
   */
  follow(queued: number, launchers: readonly { readonly answeredPid: number | undefined }[]): void {
    const batch = this.#batch;
    if (batch === true && queued < QUEUE_FOR_OTHER) return;
    if (batch === false && queued > QUEUE_FOR_BATCH) return;
    const want = batch === undefined ? queued < QUEUE_FOR_OTHER : !batch;
    // A launcher's pid is dropped in libuv's SIGCHLD pass that reaps it ('exit'), before any
    // later start: a pid read here is our child's, and never names another process.
    for (const l of launchers) if (l.answeredPid !== undefined) this.setBatch(l.answeredPid, want);
    this.#batch = want;
  }

  /** A launcher process was restarted with the daemon's policy: the next follow() sets every one. */
  forget(): void {
    this.#batch = undefined;
  }
}
