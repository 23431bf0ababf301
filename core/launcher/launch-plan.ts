/**
 * What the launcher needs to start one server: everything is resolved at configuration time
 * (user names to ids, the argv) so the per-connection path only copies it.
 */
export type RlimitValue = number | bigint;

export interface ResourceLimits {
  /**
   * Bytes (cpu: seconds); soft and hard are both set. 0 or absent = not set (xinetd's rule);
   * Infinity = RLIM_INFINITY (`UNLIMITED`); a bigint for values beyond 2^53 (below 2^64 - 1).
   */
  readonly as?: RlimitValue;
  readonly cpu?: RlimitValue;
  readonly data?: RlimitValue;
  readonly rss?: RlimitValue;
  readonly stack?: RlimitValue;
  readonly nofile?: RlimitValue;
}

export interface LaunchPlan {
  /** Absolute path of the program to exec. */
  readonly path: string;
  /** argv, argv[0] included. */
  readonly argv: readonly string[];
  /** The complete environment, `NAME=value` strings. */
  readonly env: readonly string[];
  /** Switch to this uid (only when set). */
  readonly uid?: number;
  /** setgid to this gid (only when set). */
  readonly gid?: number;
  /**
   * Supplementary groups: a user name for initgroups(name, gid) (`groups = yes`), or
   * an explicit list (empty = setgroups(0), xinetd's default when user/group is set).
   */
  readonly groups?: { readonly initgroups: string } | readonly number[];
  readonly umask?: number;
  /** Relative nice increment, applied after the identity change. */
  readonly nice?: number;
  readonly rlimits?: ResourceLimits;
}

/** How a server ended: exactly one of status or signal. */
export interface ServerExit {
  readonly status?: number;
  readonly signal?: number;
  /** Set when the exec itself failed (the status is then 0, as xinetd reports it). */
  readonly execError?: string;
  /** The errno of the exec (or credential) failure. */
  readonly errno?: number;
}
