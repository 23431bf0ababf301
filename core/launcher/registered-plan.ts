/**
 * A plan registered with a launcher process (`plan KEY …`, docs/launcher.md "Registered plans"),
 * and the test that a new start may reuse it: every field is compared, never assumed.
 */
import type { LaunchPlan } from './launch-plan.js';
import { RLIMIT_KEYS } from './wire-encoding.js';

/** A plan the launcher holds; `plan` is the one it was made from (its env up to envPrefix). */
export interface RegisteredPlan {
  readonly key: string;
  readonly generation: number;
  readonly plan: LaunchPlan;
  /** A copy: the argv array is the cache key and could be changed in place. */
  readonly argv: readonly string[];
  readonly envPrefix: number;
}

/** More live plans than this (argv arrays built per launch?) are sent inline instead. */
export const MAX_REGISTERED_PLANS = 10_000;

function sameList<T>(a: readonly T[], b: readonly T[], n = a.length): boolean {
  if (a === b) return true;
  if (b.length < n || a.length < n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameGroups(a: LaunchPlan['groups'], b: LaunchPlan['groups']): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  if ('initgroups' in a || 'initgroups' in b) {
    return 'initgroups' in a && 'initgroups' in b && a.initgroups === b.initgroups;
  }
  const x = a as readonly number[];
  const y = b as readonly number[];
  return x.length === y.length && sameList(x, y);
}

function sameRlimits(a: LaunchPlan['rlimits'], b: LaunchPlan['rlimits']): boolean {
  if (a === b) return true;
  for (const k of RLIMIT_KEYS) if ((a?.[k] ?? 0) !== (b?.[k] ?? 0)) return false;
  return true;
}

/** `plan` is `known` but for its environment entries past known.envPrefix (the per-start part). */
export function sameStablePart(known: RegisteredPlan, plan: LaunchPlan): boolean {
  const k = known.plan;
  return (
    k.path === plan.path && k.uid === plan.uid && k.gid === plan.gid && k.umask === plan.umask && k.nice === plan.nice &&
    known.argv.length === plan.argv.length && sameList(known.argv, plan.argv) &&
    plan.env.length >= known.envPrefix && sameList(k.env, plan.env, known.envPrefix) &&
    sameGroups(k.groups, plan.groups) && sameRlimits(k.rlimits, plan.rlimits)
  );
}
