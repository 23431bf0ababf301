import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Daemon } from '../../core/daemon.js';
import { LimitStage } from '../../core/hooks.js';
import { refuse } from '../../core/refusal.js';
import type { ServiceState } from '../../core/service-state.js';
import { DEFAULT_CPS, PLUGIN_NAME, type LimitKeys } from './attributes.js';
import { switchOff } from './switch-off.js';

/** Runs before cps: xinetd's accept() fails before any other check. */
export const DESCRIPTORS_STAGE = LimitStage.CPS - 100;

/** The daemon's soft RLIMIT_NOFILE (Linux /proc/self/limits); undefined when unknown or unlimited. */
export function openFileLimit(limitsFile = '/proc/self/limits'): number | undefined {
  try {
    const line = readFileSync(limitsFile, 'latin1').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.slice('Max open files'.length).trim().split(/\s+/)[0]);
    return Number.isSafeInteger(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the reserve starts: past `soft`, a service that holds descriptors in the daemon is
 * switched off; past `hard`, every service is (the rest is kept for logs, reloads and dumps).
 */
export function descriptorCeilings(limit: number): { soft: number; hard: number } {
  const reserve = Math.min(256, Math.max(16, Math.floor(limit / 8)));
  return { soft: limit - reserve, hard: limit - Math.max(8, Math.floor(reserve / 4)) };
}

/** The descriptor number of an accepted socket (libuv's handle; absent once closed). */
function descriptorOf(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** Sessions served inside the daemon keep their socket open here (spawned servers do not). */
function holdsDescriptors(daemon: Daemon, state: ServiceState): boolean {
  for (const svc of daemon.activeServices()) {
    if (svc.state !== state) continue;
    for (const session of svc.sessions.keys()) if (session.pid === 0) return true;
  }
  return false;
}

/**
 * Running out of descriptors (reference 7.3, xinetd's EMFILE handling): the service is switched
 * off for its cps WAIT with `no available descriptors`. Descriptors are numbered lowest-free
 * first, so an accepted socket's number tells how full the table is, at no cost. The core also
 * reports a real EMFILE/ENFILE from accept() (event `descriptors-exhausted`).
 */
export function tapDescriptors(daemon: Daemon, keys: LimitKeys, limit = openFileLimit()): void {
  const waitOf = (state: ServiceState) => (state.config.values.get(keys.cps) ?? DEFAULT_CPS).wait;
  const stop = (state: ServiceState) => switchOff(daemon, state, 'no available descriptors', waitOf(state));
  daemon.on('descriptors-exhausted', stop);
  if (limit === undefined) return;
  const { soft, hard } = descriptorCeilings(limit);
  daemon.hooks.limit.tap({ name: PLUGIN_NAME, stage: DESCRIPTORS_STAGE }, (conn) => {
    const fd = conn.descriptor ?? (conn.socket ? descriptorOf(conn.socket) : undefined);
    if (fd === undefined || fd < soft) return undefined;
    if (fd < hard && !holdsDescriptors(daemon, conn.state)) return undefined;
    stop(conn.state);
    return refuse('no available descriptors', `descriptor ${fd} of ${limit}`);
  });
}
