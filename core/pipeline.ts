import type { Connection } from './connection.js';
import { XinetdError } from './errors.js';
import type { DaemonHooks } from './hooks.js';
import type { LaunchSpec } from './launch-spec.js';
import type { DaemonLevel, LogEvent } from './log-event.js';
import type { Decision, Refusal } from './refusal.js';
import type { Session } from './session.js';
import { sourceKey } from './service-state.js';

/** What the pipeline needs from the daemon: the hooks, the clock, and the session table. */
export interface PipelineHost {
  readonly hooks: DaemonHooks;
  now(): number;
  log(event: LogEvent): void;
  message(level: DaemonLevel, text: string): void;
  /** Called when a counted session starts and ends (daemon-wide `-limit` count). */
  sessionStarted(conn: Connection, session: Session): void;
  sessionEnded(conn: Connection, session: Session): void;
}

const EMPTY_SPEC: LaunchSpec = Object.freeze({});

/**
 * The only code that orders the stages: accept -> authorize -> limit -> decided ->
 * prepare -> launch -> log. A refusal is a value; an exception closes the connection
 * (fail closed) and is logged with the hook and plugin that threw.
 */
export async function runConnection(host: PipelineHost, conn: Connection, onRefused: (refusal: Refusal) => void): Promise<void> {
  const { hooks } = host;
  let stage = 'accept';
  try {
    if (hooks.accept.isUsed()) await hooks.accept.promise(conn);
    stage = 'authorize';
    let refusal = hooks.authorize.isUsed() ? await hooks.authorize.promise(conn) : undefined;
    if (!refusal) {
      stage = 'limit';
      refusal = hooks.limit.isUsed() ? await hooks.limit.promise(conn) : undefined;
    }
    const decision: Decision = refusal ? { admitted: false, refusal } : ADMITTED;
    stage = 'decided';
    if (hooks.decided.isUsed()) await hooks.decided.promise(conn, decision);
    if (refusal) {
      host.log({ kind: 'fail', conn, refusal, time: host.now() });
      onRefused(refusal);
      return;
    }
    stage = 'prepare';
    const spec = hooks.prepare.call(EMPTY_SPEC, conn);
    stage = 'launch';
    const session = await hooks.launch.promise(conn, spec);
    if (!session) throw new XinetdError('XI_ERR_NO_LAUNCHER', `no launcher claimed service ${conn.service.id}`);
    track(host, conn, session);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    host.message('error', `${conn.service.id}: ${stage} failed: ${text}`);
    onRefused({ code: 'internal_error', detail: text, by: stage });
  }
}

const ADMITTED: Decision = Object.freeze({ admitted: true });

function track(host: PipelineHost, conn: Connection, session: Session): void {
  const counted = session.counted !== false;
  const key = sourceKey(conn.peer?.address);
  if (counted) {
    conn.state.track(key);
    host.sessionStarted(conn, session);
  }
  host.log({ kind: 'start', conn, pid: session.pid, time: host.now() });
  session.done.then(
    (end) => {
      if (counted) {
        conn.state.untrack(key);
        host.sessionEnded(conn, session);
      }
      if (end.traffic) host.log({ kind: 'traffic', conn, in: end.traffic.in, out: end.traffic.out, time: host.now() });
      if (session.logExit !== false) {
        const now = host.now();
        host.log({ kind: 'exit', conn, pid: session.pid, status: end.status, signal: end.signal, durationMs: now - conn.startedAt, time: now });
      }
    },
    (error: unknown) => {
      if (counted) {
        conn.state.untrack(key);
        host.sessionEnded(conn, session);
      }
      host.message('error', `${conn.service.id}: session failed: ${error instanceof Error ? error.message : String(error)}`);
    },
  );
}
