import type { Daemon } from '../../core/daemon.js';
import type { ServiceState } from '../../core/service-state.js';

/**
 * Switch a service off for `waitSeconds` (its socket is closed, so new clients are refused by
 * the kernel) with xinetd's two messages. Does nothing while it is already off.
 */
export function switchOff(daemon: Daemon, state: ServiceState, reason: string, waitSeconds: number): void {
  if (state.suspendedUntil > 0) return;
  const name = state.config.name;
  daemon.suspend(state, waitSeconds * 1000, () => daemon.message('error', `Activating service ${name}`));
  // suspend() ignores services no longer active (removed by a reload): nothing to announce then.
  if (state.suspendedUntil === 0) return;
  daemon.message('error', `Deactivating service ${name} due to ${reason}.  Restarting in ${waitSeconds} seconds.`);
}
