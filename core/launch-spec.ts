import type { ResourceLimits } from './launcher/launch-plan.js';

/**
 * How an admitted connection's server should run, shaped by the `prepare` waterfall. Only the
 * fields that vary per connection are computed per connection; the rest is configuration.
 */
export interface LaunchSpec {
  readonly server?: string;
  readonly argv?: readonly string[];
  /** Environment as NAME=value strings. */
  readonly env?: readonly string[];
  readonly uid?: number;
  readonly gid?: number;
  readonly groups?: { readonly initgroups: string } | readonly number[];
  readonly umask?: number;
  readonly nice?: number;
  readonly rlimits?: ResourceLimits;
}
