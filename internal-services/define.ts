import type { Socket } from 'node:net';
import type { Report } from '../core/config/resolve.js';
import type { Connection, Datagram } from '../core/connection.js';
import type { Daemon } from '../core/daemon.js';
import { definePlugin, type PluginFactory } from '../core/plugin.js';
import type { ServiceConfig } from '../core/service-config.js';
import { INTERNAL_SERVICES_PLUGIN, internalServices } from './registry.js';
import { internalServiceSpecProblem } from './spec-check.js';

/** What a handler gets besides the socket or datagram; built once per service at configuration time. */
export interface InternalContext<Data = undefined> {
  readonly daemon: Daemon;
  readonly service: ServiceConfig;
  /** What `setup` returned for this service. */
  readonly data: Data;
}

export type StreamServe<Data> = (socket: Socket, ctx: InternalContext<Data>, conn: Connection) => void;

/**
 * A session that reads: called once with the socket, returns what to do with each chunk read.
 * The chunk may be a view of a reused buffer (see `StreamHandler.buffer`): use it before
 * returning, or copy it. Return false to stop reading until you call `socket.resume()`.
 */
export type StreamReads<Data> = (socket: Socket, ctx: InternalContext<Data>, conn: Connection) => (chunk: Buffer) => boolean | void;

/** The bytes of a short answer, computed per connection. */
export type StreamAnswer<Data> = (ctx: InternalContext<Data>, conn: Connection) => Uint8Array | string;

/**
 * A stream handler. `session` (the default): a running server as xinetd counts its forked
 * children (instances, per_source, EXIT logged); it ends when the socket closes, and the
 * handler must call `socket.resume()` to read. `reply`: answered at once and closed, like
 * xinetd's in-process daytime and time (not counted, no EXIT, no USERID lookup when admitted:
 * xinetd does not fork for them): either `answer` returns the bytes and the core sends them and
 * closes (the cheapest path: no stream object is made), or `serve` gets the socket and calls
 * `replyAndClose`.
 */
export type StreamHandler<Data> =
  | { readonly mode: 'session' | 'reply'; readonly serve: StreamServe<Data> }
  | { readonly mode: 'reply'; readonly answer: StreamAnswer<Data> }
  | {
      /**
       * A session whose reads go into `buffer(ctx, conn)` (Node's `onread`) instead of a new
       * Buffer per read: no allocation per chunk, and memory that stays flat under bulk
       * transfers. The core starts reading; `reads` handles each chunk (a view of that
       * buffer). When the socket already existed (a banner was written), chunks are ordinary
       * 'data' Buffers and the same handler gets them.
       */
      readonly mode: 'session';
      readonly buffer: (ctx: InternalContext<Data>, conn: Connection) => Buffer;
      readonly reads: StreamReads<Data>;
    };

export interface InternalServiceSpec<Data = undefined> {
  /** Matched against the service **name** (not its id), as xinetd does. */
  readonly name: string;
  readonly stream?: StreamServe<Data> | StreamHandler<Data>;
  /** One datagram; answer with `datagram.reply(bytes)` (the core drops replies to service ports). */
  readonly dgram?: (datagram: Datagram, ctx: InternalContext<Data>, conn: Connection) => void;
  /** Per-service precomputation at configuration time; `report.error` disables the service. */
  readonly setup?: (service: ServiceConfig, daemon: Daemon, report: Report) => Data;
  /**
   * The service reveals things about the host (servers, services, xadmin): it answers loopback
   * clients only unless its own entry sets `only_from`, and `check` warns when it is enabled.
   */
  readonly exposesHost?: boolean;
}

/**
 * Register an internal service (`type = INTERNAL`) from a plugin of its own:
 *
 *     export default defineInternalService({ name: 'quote', stream: { mode: 'reply', answer: () => 'hi\r\n' } });
 *
 * The result is a plugin factory; list the module in `plugins` like any other plugin.
 */
export function defineInternalService<Data = undefined>(spec: InternalServiceSpec<Data>): PluginFactory {
  return definePlugin(() => ({
    name: `internal-service:${spec.name}`,
    dependencies: [INTERNAL_SERVICES_PLUGIN],
    apply(daemon: Daemon) {
      const problem = internalServiceSpecProblem(spec);
      if (problem) throw new Error(`defineInternalService: ${problem}`);
      internalServices(daemon).add(spec);
    },
  }));
}

/** Write a short answer and close (a paused socket is closed once the answer is flushed). */
export function replyAndClose(socket: Socket, data: Uint8Array | string): void {
  socket.end(data);
  socket.destroySoon();
}
