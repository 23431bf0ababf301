/** A server started by a launcher process, as its caller holds it until the server ends. */
import { constants as osConstants } from 'node:os';
import type { ServerExit } from './launch-plan.js';
import type { LauncherProcess } from './launcher-process.js';
import { procStartTime } from './proc-stat.js';
import type { Watched } from './watched-socket.js';

/** ServerExit plus what only the launcher knows. */
export interface LauncherServerExit extends ServerExit {
  /** setgid/setgroups/setuid failed in the child (the status is then 1, as in xinetd). */
  readonly setupError?: string;
  /**
   * The launcher died while the server ran; its end was observed by polling /proc, so the real
   * status is unknown and reported as 0.
   */
  readonly orphaned?: boolean;
}

export interface RunningServer {
  readonly pid: number;
  /** pid of the launcher process that started it. */
  readonly launcherPid?: number;
  /** Resolves once, when the server has ended (never rejects). */
  readonly exited: Promise<LauncherServerExit>;
  /** Signal the server (SIGTERM by default); a no-op once it has ended. */
  kill(signal?: NodeJS.Signals | number): void;
}

function signalNumber(signal: NodeJS.Signals | number | undefined): number {
  if (signal === undefined) return osConstants.signals.SIGTERM;
  if (typeof signal === 'number') return signal;
  const n = (osConstants.signals as Record<string, number | undefined>)[signal];
  if (n === undefined) throw new TypeError(`unknown signal ${signal}`);
  return n;
}

/** RunningServer as the launcher process keeps it: what the launcher reported on the way. */
export class LaunchedServer implements RunningServer {
  readonly exited: Promise<LauncherServerExit>;
  execError?: string;
  setupError?: string;
  errno?: number;
  done = false;
  /** Set when the launcher died: we poll /proc instead. */
  orphanStart?: string;
  orphan = false;
  /** Ends its entry in the owner's recent starts. */
  endRecent?: () => void;
  private resolveExit!: (e: LauncherServerExit) => void;
  readonly launcherPid?: number;

  constructor(
    private readonly owner: LauncherProcess,
    readonly id: string,
    readonly pid: number,
    readonly watched: Watched | undefined,
  ) {
    this.launcherPid = owner.launcherPid;
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  finish(e: LauncherServerExit): void {
    if (this.done) return;
    this.done = true;
    this.endRecent?.();
    this.resolveExit(e);
  }

  kill(signal?: NodeJS.Signals | number): void {
    if (this.done) return;
    const sig = signalNumber(signal);
    if (this.orphan) {
      // Only if it is still the same process.
      if (this.orphanStart !== undefined && procStartTime(this.pid) === this.orphanStart) {
        try {
          process.kill(this.pid, sig);
        } catch {
          /* gone */
        }
      }
      return;
    }
    this.owner.sendQuiet(`kill ${this.pid} ${sig}`);
  }
}
