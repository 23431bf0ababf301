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
  /**
   * The daemon-wide `-limit` count: a slot is taken when a connection is admitted and freed when
   * its session ends (or its launch fails, or the session is not counted).
   */
  slotTaken(): void;
  slotFreed(): void;
  /** The session table (a counted session starts / ends). */
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
  let slot: Slot | undefined;
  try {
    if (hooks.accept.isUsed()) await hooks.accept.promise(conn);
    stage = 'authorize';
    let refusal = hooks.authorize.isUsed() ? await hooks.authorize.promise(conn) : undefined;
    if (!refusal) {
      stage = 'limit';
      const admission = await admit(host, conn);
      refusal = admission.refusal;
      slot = admission.slot;
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
    track(host, conn, session, slot);
    slot = undefined;
  } catch (error) {
    slot?.free();
    const text = error instanceof Error ? error.message : String(error);
    host.message('error', `${conn.service.id}: ${stage} failed: ${text}`);
    onRefused({ code: 'internal_error', detail: text, by: stage });
  }
}

const ADMITTED: Decision = Object.freeze({ admitted: true });

interface Slot {
  free(): void;
}

/** The tail of each host's admission queue. */
const admissions = new WeakMap<PipelineHost, Promise<unknown>>();

/**
 * Admission is atomic, as in xinetd's single-threaded loop: one connection at a time runs the
 * limit hook and, when admitted, takes its slot before the next one is decided. Limit taps may
 * await and launching is asynchronous, so without this a burst would pass instances /
 * per_source / -limit before any of it is counted. (Datagrams served in the daemon are never
 * counted as running servers, so they take no slot.)
 */
function admit(host: PipelineHost, conn: Connection): Promise<{ refusal: Refusal | void; slot: Slot | undefined }> {
  const decide = async () => {
    const refusal = host.hooks.limit.isUsed() ? await host.hooks.limit.promise(conn) : undefined;
    return { refusal, slot: refusal || conn.datagram ? undefined : takeSlot(host, conn) };
  };
  const result = (admissions.get(host) ?? Promise.resolve()).then(decide);
  admissions.set(host, result.catch(() => undefined));
  return result;
}

function takeSlot(host: PipelineHost, conn: Connection): Slot {
  const key = sourceKey(conn.peer?.address);
  conn.state.track(key);
  host.slotTaken();
  let held = true;
  return {
    free() {
      if (!held) return;
      held = false;
      conn.state.untrack(key);
      host.slotFreed();
    },
  };
}

function track(host: PipelineHost, conn: Connection, session: Session, held: Slot | undefined): void {
  const counted = session.counted !== false;
  const slot = held ?? (counted ? takeSlot(host, conn) : undefined);
  if (counted) host.sessionStarted(conn, session);
  else slot?.free();
  host.log({ kind: 'start', conn, pid: session.pid, time: host.now() });
  session.done.then(
    (end) => {
      if (counted) {
        slot?.free();
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
        slot?.free();
        host.sessionEnded(conn, session);
      }
      host.message('error', `${conn.service.id}: session failed: ${error instanceof Error ? error.message : String(error)}`);
    },
  );
}
