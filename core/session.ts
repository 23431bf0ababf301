/** How a session ended. A spawned server has a status or a signal; in-process ones status 0. */
export interface SessionEnd {
  readonly status?: number;
  readonly signal?: number;
  /** Bytes client->server and server->client, when the launcher counted them (redirect). */
  readonly traffic?: { readonly in: number; readonly out: number };
}

/**
 * The handle a launcher returns when it claims a connection. The core counts it for
 * `instances`/`per_source`, logs START, and logs EXIT when `done` settles.
 */
export interface Session {
  /** The server's pid; 0 for sessions served inside the daemon. */
  readonly pid: number;
  readonly done: Promise<SessionEnd>;
  /** End the session (reload removing the service, SIGTERM). */
  stop(signal?: NodeJS.Signals): void;
  /** false: short in-process replies (daytime, time, datagrams) that xinetd never logs EXIT for. */
  readonly logExit?: boolean;
  /**
   * false: not counted as a running server (same cases). Default true. With both `counted` and
   * `logExit` false the core records nothing at the end and does not wait for `done` (so such a
   * session gets no TRAFFIC record either).
   */
  readonly counted?: boolean;
}
