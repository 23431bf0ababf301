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
const ADMITTED: Decision = Object.freeze({ admitted: true });
const noop = (): void => undefined;

type Callback<T> = (error: Error | null, result?: T) => void;

/**
 * The only code that orders the stages: accept -> authorize -> limit -> decided ->
 * prepare -> launch -> log. A refusal is a value; an exception closes the connection
 * (fail closed) and is logged with the hook and plugin that threw. `onDone` runs once the
 * connection is refused, launched, or failed.
 *
 * Written with tapable's callAsync rather than promises: sync taps then run as plain calls,
 * and a connection whose taps are all synchronous (daytime, most refusals) goes through
 * without a single promise. Every continuation catches its own errors, because tapable calls
 * them outside its own try blocks.
 */
export function runConnection(host: PipelineHost, conn: Connection, onRefused: (refusal: Refusal) => void, onDone: () => void = noop): void {
  const { hooks } = host;
  let stage = 'accept';
  let slot: Slot | undefined;
  let finished = false;

  const fail = (error: unknown) => {
    if (finished) return;
    finished = true;
    slot?.free();
    slot = undefined;
    const text = error instanceof Error ? error.message : String(error);
    host.message('error', `${conn.service.id}: ${stage} failed: ${text}`);
    try {
      onRefused({ code: 'internal_error', detail: text, by: stage });
    } finally {
      onDone();
    }
  };
  /** A continuation that turns both a hook's error and its own exceptions into `fail`. */
  const step = <T>(next: (result: T | undefined) => void): Callback<T> => (error, result) => {
    if (error) return fail(error);
    try {
      next(result);
    } catch (thrown) {
      fail(thrown);
    }
  };

  const launched = step<Session | void>((session) => {
    if (!session) throw new XinetdError('XI_ERR_NO_LAUNCHER', `no launcher claimed service ${conn.service.id}`);
    finished = true;
    track(host, conn, session, slot);
    slot = undefined;
    onDone();
  });
  const decided = (refusal: Refusal | void) => step<void>(() => {
    if (refusal) {
      finished = true;
      host.log({ kind: 'fail', conn, refusal, time: host.now() });
      try {
        onRefused(refusal);
      } finally {
        onDone();
      }
      return;
    }
    stage = 'prepare';
    const spec = hooks.prepare.call(EMPTY_SPEC, conn);
    stage = 'launch';
    hooks.launch.callAsync(conn, spec, launched);
  });
  const decide = (refusal: Refusal | void) => {
    stage = 'decided';
    const after = decided(refusal);
    if (hooks.decided.isUsed()) hooks.decided.callAsync(conn, refusal ? { admitted: false, refusal } : ADMITTED, after);
    else after(null);
  };
  const authorized = step<Refusal | void>((refusal) => {
    if (refusal) return decide(refusal);
    stage = 'limit';
    admit(host, conn, (error, admission) => {
      if (error) return fail(error);
      slot = admission?.slot;
      try {
        decide(admission?.refusal);
      } catch (thrown) {
        fail(thrown);
      }
    });
  });
  const accepted = step<void>(() => {
    stage = 'authorize';
    if (hooks.authorize.isUsed()) hooks.authorize.callAsync(conn, authorized);
    else authorized(null);
  });

  try {
    if (hooks.accept.isUsed()) hooks.accept.callAsync(conn, accepted);
    else accepted(null);
  } catch (thrown) {
    fail(thrown);
  }
}

/** runConnection as a promise that settles when the connection is refused, launched, or failed. */
export function runConnectionToEnd(host: PipelineHost, conn: Connection, onRefused: (refusal: Refusal) => void): Promise<void> {
  return new Promise((resolve) => runConnection(host, conn, onRefused, resolve));
}

interface Slot {
  free(): void;
}

interface Admission {
  readonly refusal: Refusal | void;
  readonly slot: Slot | undefined;
}

/** Each host's admission queue: connections waiting for the limit hook while one runs. */
interface AdmissionQueue {
  busy: boolean;
  readonly waiting: Array<() => void>;
}
const queues = new WeakMap<PipelineHost, AdmissionQueue>();

/**
 * Admission is atomic, as in xinetd's single-threaded loop: one connection at a time runs the
 * limit hook and, when admitted, takes its slot before the next one is decided. Limit taps may
 * be asynchronous and launching is, so without this a burst would pass instances / per_source /
 * -limit before any of it is counted. With synchronous limit taps the queue is never used.
 * (Datagrams served in the daemon are never counted as running servers, so they take no slot.)
 */
function admit(host: PipelineHost, conn: Connection, done: Callback<Admission>): void {
  let queue = queues.get(host);
  if (!queue) queues.set(host, (queue = { busy: false, waiting: [] }));
  const q = queue;
  const run = () => {
    q.busy = true;
    let settled = false;
    const finish = (error: Error | null, refusal?: Refusal | void) => {
      if (settled) return;
      settled = true;
      let slot: Slot | undefined;
      try {
        if (!error && !refusal && !conn.datagram) slot = takeSlot(host, conn);
      } catch (thrown) {
        error = thrown instanceof Error ? thrown : new Error(String(thrown));
      }
      q.busy = false;
      const next = q.waiting.shift();
      try {
        done(error, error ? undefined : { refusal, slot });
      } finally {
        next?.();
      }
    };
    try {
      if (host.hooks.limit.isUsed()) host.hooks.limit.callAsync(conn, finish);
      else finish(null);
    } catch (thrown) {
      finish(thrown instanceof Error ? thrown : new Error(String(thrown)));
    }
  };
  if (q.busy) q.waiting.push(run);
  else run();
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
