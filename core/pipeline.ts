import type { Connection } from './connection.js';
import { XinetdError } from './errors.js';
import type { DaemonHooks } from './hooks.js';
import type { LaunchSpec } from './launch-spec.js';
import type { DaemonLevel, LogEvent } from './log-event.js';
import type { Decision, Refusal } from './refusal.js';
import type { Session } from './session.js';
import { serviceHooks, type ServiceHooks } from './service-hooks.js';
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


/**
 * The only code that orders the stages: accept -> authorize -> limit -> decided ->
 * prepare -> launch -> log. A refusal is a value; an exception closes the connection
 * (fail closed) and is logged with the hook and plugin that threw. `onDone` runs once the
 * connection is refused, launched, or failed.
 *
 * Written with tapable's callAsync rather than promises: sync taps then run as plain calls,
 * and a connection whose taps are all synchronous (daytime, datagrams, most refusals) goes
 * through without a single promise. One object per connection holds the state and five
 * callbacks; every callback catches its own errors, because tapable calls them outside its
 * own try blocks.
 */
export function runConnection(host: PipelineHost, conn: Connection, onRefused: (refusal: Refusal) => void, onDone: () => void = noop): void {
  new ConnectionRun(host, conn, onRefused, onDone).start();
}

/** runConnection as a promise that settles when the connection is refused, launched, or failed. */
export function runConnectionToEnd(host: PipelineHost, conn: Connection, onRefused: (refusal: Refusal) => void): Promise<void> {
  return new Promise((resolve) => runConnection(host, conn, onRefused, resolve));
}

const NO_HOOKS: ServiceHooks = Object.freeze({ accept: undefined, authorize: undefined, limit: undefined, decided: undefined, prepare: undefined, launch: undefined });

class ConnectionRun {
  stage = 'accept';
  slot: Slot | undefined = undefined;
  refusal: Refusal | void = undefined;
  finished = false;
  /** Why this service's hooks could not be built (a plugin's error), if they could not. */
  broken: unknown = undefined;
  /** This service's hooks: only the taps that apply to it (undefined: nothing to run). */
  readonly hooks: ServiceHooks;

  constructor(
    readonly host: PipelineHost,
    readonly conn: Connection,
    readonly onRefused: (refusal: Refusal) => void,
    readonly onDone: () => void,
  ) {
    try {
      this.hooks = serviceHooks(host.hooks, conn.service);
    } catch (thrown) {
      // A plugin's `applies` threw: this connection fails closed in start(), the daemon stays.
      this.hooks = NO_HOOKS;
      this.broken = thrown;
    }
  }

  // A stage's callback is made only when its hook has taps: a datagram or a daytime
  // connection makes two or three of them, not five.

  start(): void {
    if (this.broken !== undefined) return this.fail(this.broken);
    try {
      const hook = this.hooks.accept;
      if (hook) hook.callAsync(this.conn, (error) => this.accepted(error));
      else this.accepted(null);
    } catch (thrown) {
      this.fail(thrown);
    }
  }

  accepted(error?: Error | null): void {
    if (error) return this.fail(error);
    try {
      this.stage = 'authorize';
      const hook = this.hooks.authorize;
      if (hook) hook.callAsync(this.conn, (e, refusal) => this.authorized(e, refusal));
      else this.authorized(null);
    } catch (thrown) {
      this.fail(thrown);
    }
  }

  authorized(error: Error | null, refusal?: Refusal | void): void {
    if (error) return this.fail(error);
    try {
      if (refusal) return this.decide(refusal);
      this.stage = 'limit';
      admit(this.host, this.hooks.limit, this);
    } catch (thrown) {
      this.fail(thrown);
    }
  }

  /** Called by admit() once the limit hook has answered and the slot (if any) is taken. */
  admitted(error: Error | null, refusal: Refusal | void, slot: Slot | undefined): void {
    if (error) return this.fail(error);
    this.slot = slot;
    try {
      this.decide(refusal);
    } catch (thrown) {
      this.fail(thrown);
    }
  }

  decide(refusal: Refusal | void): void {
    this.stage = 'decided';
    this.refusal = refusal;
    const hook = this.hooks.decided;
    if (hook) hook.callAsync(this.conn, refusal ? { admitted: false, refusal } : ADMITTED, (error) => this.decided(error));
    else this.decided(null);
  }

  decided(error?: Error | null): void {
    if (error) return this.fail(error);
    try {
      const { host, conn, refusal } = this;
      if (refusal) {
        this.finished = true;
        host.log({ kind: 'fail', conn, refusal, time: host.now() });
        try {
          this.onRefused(refusal);
        } finally {
          this.onDone();
        }
        return;
      }
      this.stage = 'prepare';
      const spec = this.hooks.prepare ? this.hooks.prepare.call(EMPTY_SPEC, conn) : EMPTY_SPEC;
      this.stage = 'launch';
      if (this.hooks.launch) this.hooks.launch.callAsync(conn, spec, (e, session) => this.launched(e, session));
      else this.launched(null);
    } catch (thrown) {
      this.fail(thrown);
    }
  }

  launched(error: Error | null, session?: Session | void): void {
    if (error) return this.fail(error);
    try {
      if (!session) throw new XinetdError('XI_ERR_NO_LAUNCHER', `no launcher claimed service ${this.conn.service.id}`);
      this.finished = true;
      const slot = this.slot;
      this.slot = undefined;
      track(this.host, this.conn, session, slot);
      this.onDone();
    } catch (thrown) {
      this.fail(thrown);
    }
  }

  fail(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.slot?.free();
    this.slot = undefined;
    const text = error instanceof Error ? error.message : String(error);
    this.host.message('error', `${this.conn.service.id}: ${this.stage} failed: ${text}`);
    try {
      this.onRefused({ code: 'internal_error', detail: text, by: this.stage });
    } finally {
      this.onDone();
    }
  }
}

interface Slot {
  free(): void;
}

/** Each host's admission queue: connections waiting for the limit hook while one runs. */
interface AdmissionQueue {
  busy: boolean;
  readonly waiting: ConnectionRun[];
}
const queues = new WeakMap<PipelineHost, AdmissionQueue>();

/**
 * Admission is atomic, as in xinetd's single-threaded loop: one connection at a time runs the
 * limit hook and, when admitted, takes its slot before the next one is decided. Limit taps may
 * be asynchronous and launching is, so without this a burst would pass instances / per_source /
 * -limit before any of it is counted. With synchronous limit taps the queue is never used.
 * (Datagrams served in the daemon are never counted as running servers, so they take no slot.)
 */
function admit(host: PipelineHost, limit: DaemonHooks['limit'] | undefined, run: ConnectionRun): void {
  let queue = queues.get(host);
  if (!queue) queues.set(host, (queue = { busy: false, waiting: [] }));
  if (queue.busy) queue.waiting.push(run);
  else runLimit(host, queue, limit, run);
}

function runLimit(host: PipelineHost, q: AdmissionQueue, limit: DaemonHooks['limit'] | undefined, run: ConnectionRun): void {
  q.busy = true;
  let settled = false;
  const finish = (error: Error | null, refusal?: Refusal | void) => {
    if (settled) return;
    settled = true;
    let slot: Slot | undefined;
    try {
      if (!error && !refusal && !run.conn.datagram) slot = takeSlot(host, run.conn);
    } catch (thrown) {
      error = thrown instanceof Error ? thrown : new Error(String(thrown));
    }
    q.busy = false;
    const next = q.waiting.shift();
    try {
      run.admitted(error, error ? undefined : refusal, slot);
    } finally {
      // The next one's own (service's) limit hook.
      if (next) runLimit(host, q, next.hooks.limit, next);
    }
  };
  try {
    if (limit) limit.callAsync(run.conn, finish);
    else finish(null);
  } catch (thrown) {
    finish(thrown instanceof Error ? thrown : new Error(String(thrown)));
  }
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
  // A datagram served in the daemon starts in the turn it was read: its receipt time saves a
  // clock read per datagram.
  host.log({ kind: 'start', conn, pid: session.pid, time: conn.datagram ? conn.startedAt : host.now() });
  // Not counted and no EXIT (daytime, datagrams): nothing waits for its end.
  if (!counted && session.logExit === false) return;
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
