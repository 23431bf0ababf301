import {
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  SyncHook,
  SyncWaterfallHook,
} from 'tapable';

/** tapable's tap record as its interceptors see it (not exported by its typings). */
interface FullTap {
  name: string;
  stage?: number;
  before?: string;
  type: 'sync' | 'async' | 'promise';
  fn: Function;
}
import type { Report } from './config/resolve.js';
import type { Connection } from './connection.js';
import type { LaunchSpec } from './launch-spec.js';
import type { LogEvent } from './log-event.js';
import type { Decision, Refusal } from './refusal.js';
import type { ServiceConfig } from './service-config.js';
import type { Session } from './session.js';
import { tapError } from './tap-errors.js';

/**
 * An extra tap option of the per-connection hooks (accept, authorize, limit, decided, prepare,
 * launch): `applies(service)` says, once per service and configuration, whether the tap has
 * anything to do for that service. A tap that does not apply is left out of that service's
 * pipeline (core/service-hooks.ts), so its cost on every connection is zero. Without it, a tap
 * runs for every service.
 */
export interface ServiceTapOptions {
  applies?: (service: ServiceConfig) => boolean;
}

/** Stages of the authorize hook: xinetd checks the address before time and libwrap. */
export const AuthorizeStage = { SENSOR: -400, ADDRESS: -300, TIME: -200, DEFAULT: 0, LIBWRAP: 100 } as const;
/** Stages of the limit hook, in xinetd's order of parent checks (reference 8). */
export const LimitStage = { CPS: -500, LOAD: -400, INSTANCES: -300, PER_SOURCE: -200, PROCESS: -100, DEFAULT: 0 } as const;

/** Where an active service listens. */
export interface BoundSocket {
  /** The bound port: the configured one, or the kernel's choice when the service asks for none. */
  readonly port: number;
  /** The bound address (`0.0.0.0` / `::` when the service has no `bind`). */
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
}

export interface ReloadReport {
  readonly kept: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/**
 * The whole plugin contract: every hook, declared once on the Daemon (never per connection,
 * tapable compiles each hook's caller when taps change). Plugins tap; only the daemon calls.
 */
export function createHooks() {
  return Object.freeze({
    /** Cross-attribute checks after parsing; `report.error` skips the service. Never throws. */
    checkService: new SyncHook<[ServiceConfig, Report]>(['service', 'report']),
    /**
     * The checks xinetd makes before it looks the port up (a server is named): as checkService,
     * before the port's problems (UNLISTED without a port, not in /etc/services) are reported.
     */
    checkServiceFirst: new SyncHook<[ServiceConfig, Report]>(['service', 'report']),
    /** Open resources before listening. A throw aborts startup. */
    ready: new AsyncSeriesHook<[]>([]),
    /** After a reload swapped the new configuration in. Errors are logged; the reload stands. */
    reloaded: new AsyncSeriesHook<[ReloadReport]>(['report']),
    /**
     * A service is active: at start, when a reload adds it or keeps it (then with its new
     * configuration, on the same socket), and when its socket is made again. `socket.port` is
     * the port bound (the kernel's choice for RPC services; 0 for tcpmux clients, which have no
     * socket). Errors are logged; the service runs on.
     */
    activated: new SyncHook<[ServiceConfig, BoundSocket]>(['service', 'socket']),
    /** A service's socket is closed for good: a reload removed it, or the daemon exits. Errors are logged. */
    deactivated: new SyncHook<[ServiceConfig]>(['service']),
    /** After listeners and sessions are gone: flush and close. Errors are logged. */
    close: new AsyncSeriesHook<[]>([]),
    /** A connection arrived (banner). Cannot refuse; a throw closes the connection. */
    accept: new AsyncSeriesHook<[Connection], ServiceTapOptions>(['conn']),
    /** Who may connect. Return a Refusal to stop the chain, nothing to continue. */
    authorize: new AsyncSeriesBailHook<[Connection], Refusal | void, ServiceTapOptions>(['conn']),
    /**
     * Limits, on counts the core keeps. Return a Refusal to stop the chain. Runs for one
     * connection at a time (admission is atomic, so the counts are exact): keep taps fast.
     */
    limit: new AsyncSeriesBailHook<[Connection], Refusal | void, ServiceTapOptions>(['conn']),
    /** Last words before the core closes a refused connection or launches an admitted one. */
    decided: new AsyncSeriesHook<[Connection, Decision], ServiceTapOptions>(['conn', 'decision']),
    /** Shape how the server runs. Return a new spec; never mutate the one given. */
    prepare: new SyncWaterfallHook<[LaunchSpec, Connection], LaunchSpec, ServiceTapOptions>(['spec', 'conn']),
    /** The first tap to return a Session claims the connection. */
    launch: new AsyncSeriesBailHook<[Connection, LaunchSpec], Session | void, ServiceTapOptions>(['conn', 'spec']),
    /** Records and the daemon's messages. Sinks must not block; their errors are isolated. */
    log: new SyncHook<[LogEvent]>(['event']),
  });
}

export type DaemonHooks = ReturnType<typeof createHooks>;

function isRefusal(value: unknown): value is Refusal {
  const code = typeof value === 'object' && value !== null ? (value as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code !== '';
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) return 'an object without a code';
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/** Stamp every Refusal with the name of the tap that returned it. */
export function stampRefusals(hook: DaemonHooks['authorize'] | DaemonHooks['limit']): void {
  hook.intercept({
    register(tap: FullTap) {
      const name = tap.name;
      const stamp = (r: Refusal | void) => {
        if (r === undefined) return r;
        // A plain-JavaScript tap returning false, true or a string would stop the chain and be
        // logged `FAIL: ID undefined`: it is a plugin error (fail closed, the tap named) instead.
        if (!isRefusal(r)) throw tapError(name, new TypeError(`the tap returned ${describe(r)}, not undefined or refuse(code)`));
        return r.by ? r : { ...r, by: name };
      };
      if (tap.type === 'sync') {
        const fn = tap.fn as (conn: Connection) => Refusal | void;
        tap.fn = (conn: Connection) => stamp(fn(conn));
      } else if (tap.type === 'promise') {
        const fn = tap.fn as (conn: Connection) => Promise<Refusal | void>;
        tap.fn = async (conn: Connection) => stamp(await fn(conn));
      } else {
        const fn = tap.fn as (conn: Connection, callback: (error?: Error | null, r?: Refusal | void) => void) => void;
        tap.fn = (conn: Connection, callback: (error?: Error | null, r?: Refusal | void) => void) =>
          fn(conn, (error, r) => {
            if (error) return callback(error);
            let stamped: Refusal | void;
            try {
              stamped = stamp(r);
            } catch (thrown) {
              return callback(thrown as Error);
            }
            callback(null, stamped);
          });
      }
      return tap;
    },
  });
}

/**
 * A `checkService` tap that throws (a plugin's bug) disables the service it was checking, with
 * the plugin named and the service's file:line, as `report.error` would: the other services
 * start, and the configuration is not refused for one plugin's mistake.
 */
export function reportCheckErrors(hook: DaemonHooks['checkService']): void {
  hook.intercept({
    register(tap: FullTap) {
      const fn = tap.fn as (service: ServiceConfig, report: Report) => void;
      const name = tap.name;
      tap.fn = (service: ServiceConfig, report: Report) => {
        try {
          fn(service, report);
        } catch (error) {
          report.error(`checkService failed: ${error instanceof Error ? error.message : String(error)} (plugin ${name}) - DISABLING`);
        }
      };
      return tap;
    },
  });
}

/**
 * A tap of a notification hook (log sinks, activated, deactivated) that throws must never reach
 * the daemon's caller or the other taps: `onError` gets the tap's name and the error.
 */
export function isolateTaps<T extends unknown[]>(hook: SyncHook<T>, onError: (tap: string, error: unknown) => void): void {
  hook.intercept({
    register(tap: FullTap) {
      const fn = tap.fn as (...args: T) => void;
      const name = tap.name;
      tap.fn = (...args: T) => {
        try {
          fn(...args);
        } catch (error) {
          onError(name, error);
        }
      };
      return tap;
    },
  });
}
