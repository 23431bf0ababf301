import { constants } from 'node:os';
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { AttributeRegistry } from './config/attributes.js';
import { loadConfiguration } from './config/load.js';
import type { PluginSpec, RawConfig, SourceLocation } from './config/raw.js';
import { pluginSpecsOf, resolveConfig, type ResolvedConfig } from './config/resolve.js';
import type { Connection, Endpoint } from './connection.js';
import { defineCoreAttributes, type CoreKeys } from './core-attributes.js';
import { XinetdError } from './errors.js';
import { sinkFailureReporter } from './sink-failures.js';
import { createHooks, isolateTaps, reportCheckErrors, stampRefusals, type BoundSocket, type DaemonHooks, type ReloadReport } from './hooks.js';
import { Launcher, type WatchedSocket } from './launcher/launcher.js';
import { AcceptedConnection } from './accept/accepted-connection.js';
import { nativeAccept } from './accept/native.js';
import { boundPort, closeHandle, hostFor, listen, type ListenHandle } from './listener.js';
import type { DaemonLevel, LogEvent } from './log-event.js';
import { setLongTimeout, type LongTimer } from './long-timer.js';
import { loadNetDb, type NetDb } from './netdb.js';
import { systemErrorText } from './system-error-text.js';
import { runConnection, runConnectionToEnd, type PipelineHost } from './pipeline.js';
import type { XinetdPlugin } from './plugin.js';
import { loadPlugin, locatedAt } from './plugin-loader.js';
import { nameTapErrors } from './tap-errors.js';
import type { Refusal } from './refusal.js';
import type { ServiceConfig } from './service-config.js';
import { appendToRegularFile } from './regular-file.js';
import { ServiceState } from './service-state.js';
import { descriptorUse, renderConfigDump, renderStateDump, type DumpedService } from './state-dump.js';
import type { Session } from './session.js';
import { DatagramConnection, type DatagramSend } from './datagram-connection.js';
import { VERSION } from './version.js';

export interface DaemonOptions {
  /** -f; when absent a cosmiconfig search from the cwd, then /etc/xinetd.conf. */
  readonly configFile?: string;
  /** -inetd_compat: also read this inetd.conf after the xinetd configuration. */
  readonly inetdConf?: string;
  /** -limit: daemon-wide cap on running servers. */
  readonly processLimit?: number;
  /** SIGUSR1 dump file. */
  readonly dumpFile?: string;
  /** Keep running with no services (-stayalive / -dontfork). */
  readonly stayAlive?: boolean;
  /** Datagrams being handled at once per service; more are dropped (a flood never queues). */
  readonly maxDatagramsInFlight?: number;
  /** -d: gets xinetd's dump of each configuration read (start and reload), after its diagnostics. */
  readonly configDump?: (text: string) => void;
}

/** What `close` reports to its caller on the way (the CLI: pid file, process title). */
export interface CloseCallbacks {
  readonly released?: () => void;
  readonly lingering?: (sessions: number) => void;
}

/** A service the daemon runs: its counters, its socket, its live sessions. */
export interface ActiveService {
  readonly state: ServiceState;
  handle: ListenHandle | undefined;
  watched: WatchedSocket | undefined;
  /** The port bound (the kernel's choice when the service names none); 0 without a socket. */
  port: number;
  /** Each live session with the connection it serves (the state dump shows its peer and start). */
  readonly sessions: Map<Session, Connection>;
  inFlight: number;
  resumeTimer: LongTimer | undefined;
  /** Datagram services served here: how replies leave, and the local endpoint (made on first use). */
  sendDatagram?: DatagramSend;
  sendVia?: ListenHandle;
  local?: Endpoint;
}

/**
 * Owns the hooks, the attribute registry, the services and the session table. Plugins are
 * applied once; a reload changes configuration, never the set of plugins.
 */
export class Daemon extends EventEmitter {
  readonly hooks: DaemonHooks = createHooks();
  readonly attributes = new AttributeRegistry();
  readonly keys: CoreKeys;
  readonly options: DaemonOptions;
  readonly version = VERSION;
  #netdb: NetDb = loadNetDb();
  readonly #plugins: XinetdPlugin[] = [];
  #pluginSpecs: readonly PluginSpec[] = [];
  #pluginsLoaded = false;
  #services = new Map<string, ActiveService>();
  #config: ResolvedConfig | undefined;
  #launcher: Promise<Launcher> | undefined;
  #launcherNow: Launcher | undefined;
  readonly #inProcess: { readonly name: string; readonly claims: (config: ServiceConfig) => boolean; readonly answersAtOnce?: (config: ServiceConfig) => boolean }[] = [];
  #nextId = 1;
  #running = 0;
  #closing = false;
  /** Counted sessions served inside this process: what a SIGQUIT waits for. */
  readonly #served = new Set<Session>();
  /** Services a reload or SIGTERM stopped, with the signal their sessions got. */
  readonly #stoppedWith = new WeakMap<ServiceState, NodeJS.Signals>();
  /** Stream connections accepted and still being decided (not yet launched or refused). */
  #deciding = 0;
  readonly #decided = (): void => {
    this.#deciding--;
    this.#changed?.();
  };
  /** SIGQUIT is done: spawned servers are no longer ours. */
  #released = false;
  /** SIGTERM during a SIGQUIT: stop waiting. */
  #cut = false;
  /** Wakes a waiting close when a session ends or a connection is decided. */
  #changed: (() => void) | undefined;
  readonly #host: PipelineHost;

  constructor(options: DaemonOptions = {}) {
    super();
    this.options = options;
    this.keys = defineCoreAttributes(this.attributes, () => this.#netdb);
    stampRefusals(this.hooks.authorize);
    stampRefusals(this.hooks.limit);
    for (const hook of [this.hooks.accept, this.hooks.authorize, this.hooks.limit, this.hooks.decided, this.hooks.prepare, this.hooks.launch, this.hooks.ready]) nameTapErrors(hook);
    reportCheckErrors(this.hooks.checkService);
    reportCheckErrors(this.hooks.checkServiceFirst);
    isolateTaps(this.hooks.log, sinkFailureReporter((text) => this.message('error', text)));
    const tapFailed = (hook: string) => (tap: string, error: unknown) =>
      this.message('error', `${hook} failed: ${error instanceof Error ? error.message : String(error)} (plugin ${tap})`);
    isolateTaps(this.hooks.activated, tapFailed('activated'));
    isolateTaps(this.hooks.deactivated, tapFailed('deactivated'));
    this.#host = {
      hooks: this.hooks,
      now: () => Date.now(),
      log: (e) => this.log(e),
      message: (l, t) => this.message(l, t),
      slotTaken: () => this.#running++,
      slotFreed: () => this.#running--,
      sessionStarted: (conn, session) => {
        if (session.pid === 0) this.#served.add(session);
        const svc = this.#services.get(conn.service.identity);
        if (svc?.state === conn.state) return void svc.sessions.set(session, conn);
        // Its service was stopped while the connection was on its way (an ident lookup, the
        // launcher's report of the pid): it ends as the sessions already running did.
        const signal = this.#stoppedWith.get(conn.state);
        if (signal) this.#signalSession(conn.service, session, signal);
      },
      sessionEnded: (conn, session) => {
        for (const svc of this.#services.values()) if (svc.sessions.delete(session)) break;
        if (this.#served.delete(session)) this.#changed?.();
      },
    };
  }

  /** Apply a plugin (built-in or third-party, the same way). */
  use(plugin: XinetdPlugin): this {
    if (this.#plugins.some((p) => p.name === plugin.name)) {
      throw new XinetdError('XI_ERR_PLUGIN_DUPLICATE', `plugin ${plugin.name} is loaded twice`);
    }
    try {
      plugin.apply(this);
    } catch (error) {
      if (error instanceof XinetdError) throw error;
      throw new XinetdError('XI_ERR_PLUGIN_APPLY', `plugin ${plugin.name} failed to apply: ${(error as Error).message}`, { cause: error });
    }
    this.#plugins.push(plugin);
    return this;
  }

  /**
   * Declare that services matching `claims` are served inside the daemon (internal services,
   * redirect): they need no `server`, and their sockets are never handed to the launcher.
   * `answersAtOnce` picks those among them that xinetd answers in its own process without
   * forking (stream daytime and time, datagram builtins).
   */
  claimInProcess(name: string, claims: (config: ServiceConfig) => boolean, options: { answersAtOnce?: (config: ServiceConfig) => boolean } = {}): void {
    this.#inProcess.push({ name, claims, answersAtOnce: options.answersAtOnce });
  }

  /** The in-process claimant of a service, if any. */
  inProcessOwner(config: ServiceConfig): string | undefined {
    return this.#inProcess.find((c) => c.claims(config))?.name;
  }

  /**
   * xinetd answers this service without forking: nothing of what its child would do happens
   * (no USERID lookup on success). A configuration-time question, like inProcessOwner.
   */
  answersAtOnce(config: ServiceConfig): boolean {
    const claim = this.#inProcess.find((c) => c.claims(config));
    return claim?.answersAtOnce?.(config) === true;
  }

  get netdb(): NetDb {
    return this.#netdb;
  }

  get config(): ResolvedConfig | undefined {
    return this.#config;
  }

  /** Running servers (counted sessions) across all services: what `-limit` caps. */
  get runningServers(): number {
    return this.#running;
  }

  /** The services being served now. */
  activeServices(): IterableIterator<ActiveService> {
    return this.#services.values();
  }

  /** The bound port of a service (by id), for tests and the `services` listing. */
  portOf(id: string): number | undefined {
    for (const svc of this.#services.values()) {
      if (svc.state.config.id === id && svc.handle) return svc.port;
    }
    return undefined;
  }

  message(level: DaemonLevel, message: string, at?: SourceLocation): void {
    this.log({ kind: 'daemon', level, message, at, time: Date.now() });
  }

  log(event: LogEvent): void {
    // After SIGQUIT a spawned server's end is only seen by polling /proc, with no status to
    // report; xinetd, gone by then, writes nothing either.
    if (this.#released && event.kind === 'exit' && event.pid !== 0) return;
    this.hooks.log.call(event);
  }

  /** The server launcher (started on first use). */
  launcher(): Promise<Launcher> {
    this.#launcher ??= Launcher.start().then((l) => {
      l.on('error', (e: Error) => this.message('error', `launcher: ${e.message}`));
      this.#launcherNow = l;
      return l;
    });
    return this.#launcher;
  }

  /** The launcher once started (the per-connection path uses it without awaiting). */
  launcherNow(): Launcher | undefined {
    return this.#launcherNow;
  }

  /**
   * Read, parse and validate a configuration without binding anything (`check`, reload).
   * `sliceMs`: yield to the event loop that often while parsing and resolving (a reload reads
   * and resolves 1,000 services in ~100 ms, and accepting must not stall meanwhile:
   * docs/performance.md).
   */
  async loadConfig(options: { sliceMs?: number } = {}): Promise<ResolvedConfig> {
    this.#netdb = loadNetDb();
    const raw: RawConfig = await loadConfiguration({ file: this.options.configFile, inetdConf: this.options.inetdConf, sliceMs: options.sliceMs });
    const specs = pluginSpecsOf(raw);
    if (!this.#pluginsLoaded) await this.loadPlugins(specs);
    else if (specs.map((s) => s.specifier).join('\n') !== this.#pluginSpecs.map((s) => s.specifier).join('\n')) {
      throw new XinetdError('XI_ERR_PLUGINS_CHANGED', 'the plugins list changed (restart required); keeping the running configuration');
    }
    return resolveConfig(raw, {
      registry: this.attributes,
      keys: this.keys,
      netdb: this.#netdb,
      check: (service, report) => this.hooks.checkService.call(service, report),
      firstCheck: (service, report) => this.hooks.checkServiceFirst.call(service, report),
      sliceMs: options.sliceMs,
    });
  }

  /** Load third-party plugins named in the configuration (once, at start). */
  async loadPlugins(specs: readonly PluginSpec[]): Promise<void> {
    // Every error names the line that listed the plugin: that is what the user can change.
    const listedAt = new Map<XinetdPlugin, PluginSpec>();
    for (const spec of specs) {
      const plugin = await loadPlugin(spec);
      try {
        this.use(plugin);
      } catch (error) {
        throw locatedAt(error, spec);
      }
      listedAt.set(plugin, spec);
    }
    for (const p of this.#plugins) {
      for (const dep of p.dependencies ?? []) {
        if (!this.#plugins.some((q) => q.name === dep)) {
          const error = new XinetdError('XI_ERR_PLUGIN_DEPENDENCY', `plugin ${p.name} needs plugin ${dep}, which is not loaded`);
          const spec = listedAt.get(p);
          throw spec ? locatedAt(error, spec) : error;
        }
      }
    }
    this.#pluginSpecs = specs;
    this.#pluginsLoaded = true;
  }

  /** Start with a configuration already loaded by `loadConfig` (plugins applied). */
  async start(config: ResolvedConfig): Promise<void> {
    this.reportDiagnostics(config);
    this.#dumpConfig(config);
    this.#config = config;
    await this.hooks.ready.promise();
    for (const service of config.services) await this.#open(service);
    // As xinetd counts: services with a socket (tcpmux clients have none).
    let n = 0;
    for (const svc of this.#services.values()) if (!isMuxClient(svc.state.config)) n++;
    // xinetd's words after the version, for log patterns that match `started with ... options compiled in`.
    this.message('notice', `xinetd-ts ${VERSION} started with libwrap loadavg options compiled in.`);
    this.message('notice', `Started working: ${n} available service${n === 1 ? '' : 's'}`);
  }

  /** SIGHUP: the whole new configuration is validated first; on failure the old one stays. */
  async reload(): Promise<ReloadReport | undefined> {
    this.message('notice', 'Starting reconfiguration');
    let next: ResolvedConfig;
    try {
      next = await this.loadConfig({ sliceMs: RELOAD_SLICE_MS });
    } catch (error) {
      this.message('error', reloadFailureText(error as Error));
      this.message('warning', 'reconfiguration failed');
      return undefined;
    }
    this.reportDiagnostics(next);
    if (next.fatal) {
      // xinetd exits here (compatibility.md); the running configuration stays instead.
      this.message('error', 'A fatal error was encountered while parsing the default section; keeping the running configuration');
      this.message('warning', 'reconfiguration failed');
      return undefined;
    }
    this.#dumpConfig(next);
    this.message('notice', 'Swapping defaults');
    const wanted = new Map(next.services.map((s) => [s.identity, s]));
    const kept: string[] = [];
    const removed: string[] = [];
    const added: string[] = [];
    for (const [identity, svc] of [...this.#services]) {
      const replacement = wanted.get(identity);
      if (replacement) {
        // xinetd names the service as it was (ids match case-insensitively, so only the case can differ).
        this.message('notice', `readjusting service ${svc.state.config.id}`);
        svc.state.config = replacement;
        this.#activated(svc);
        kept.push(replacement.id);
        wanted.delete(identity);
      } else {
        removed.push(svc.state.config.id);
        await this.#stopService(identity, svc, 'SIGKILL');
      }
    }
    for (const service of wanted.values()) {
      // As xinetd, `new=` counts the services that started: one that cannot bind is not added.
      if (await this.#open(service)) added.push(service.id);
    }
    this.#config = next;
    const report: ReloadReport = { kept, added, removed };
    try {
      await this.hooks.reloaded.promise(report);
    } catch (error) {
      this.message('error', `reload: ${(error as Error).message}`);
    }
    this.message('notice', `Reconfigured: new=${added.length} old=${kept.length} dropped=${removed.length} (services)`);
    return report;
  }

  /**
   * Stop. `term` (SIGTERM) also ends every session. `quit` (SIGQUIT) ends none, like xinetd,
   * whose sessions are forked children that outlive it: spawned servers are left alone, and the
   * process lingers until the sessions served in it (stream echo, redirect...) have ended by
   * themselves, its logs still open for their records. `released`: the sockets are closed (the
   * pid file can go); `lingering`: how many of those sessions are left.
   */
  async close(mode: 'term' | 'quit' = 'term', on: CloseCallbacks = {}): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const [identity, svc] of [...this.#services]) {
      await this.#stopService(identity, svc, mode === 'term' ? 'SIGTERM' : undefined);
    }
    this.message('warning', 'Exiting...');
    on.released?.();
    if (mode === 'quit') {
      // Connections accepted just before may still become sessions, spawned ones through the launcher.
      await this.#until(() => this.#deciding === 0);
      if (this.#launcher) await (await this.#launcher).close();
      this.#released = true;
      await this.#linger(on.lingering);
    }
    try {
      await this.hooks.close.promise();
    } catch (error) {
      process.stderr.write(`xinetd-ts: close: ${(error as Error).message}\n`);
    }
    if (this.#launcher) await (await this.#launcher).close();
  }

  /** SIGTERM during a SIGQUIT: end the sessions served in the process, and stop waiting. */
  endSessions(): void {
    this.#cut = true;
    for (const session of this.#served) session.stop('SIGTERM');
    this.#changed?.();
  }

  async #linger(lingering: ((left: number) => void) | undefined): Promise<void> {
    if (this.#cut) return this.endSessions();
    const left = this.#served.size;
    if (left === 0) return;
    this.message('notice', `waiting for ${left} session${left === 1 ? '' : 's'} served by the daemon to end before exiting (SIGTERM ends them)`);
    lingering?.(left);
    while (this.#served.size > 0 && !this.#cut) {
      const n = this.#served.size;
      await this.#until(() => this.#served.size < n);
      if (this.#served.size > 0) lingering?.(this.#served.size);
    }
  }

  /** Wait (without polling) until `done()` holds or SIGTERM cuts the wait. */
  async #until(done: () => boolean): Promise<void> {
    while (!this.#cut && !done()) await new Promise<void>((resolve) => (this.#changed = resolve));
    this.#changed = undefined;
  }

  /** Switch a service off for `ms` (cps, EMFILE): its socket is closed, then re-created. */
  suspend(state: ServiceState, ms: number, onResume?: () => void): void {
    const svc = this.#services.get(state.config.identity);
    // A connection of a service a reload removed (and perhaps added again) suspends nothing.
    if (!svc || svc.state !== state || svc.resumeTimer) return;
    state.suspendedUntil = Date.now() + ms;
    const { handle, watched } = svc;
    svc.handle = undefined;
    svc.watched = undefined;
    // wait = yes sockets live in the launcher too: both copies must be gone before re-binding.
    const closed = Promise.all([watched?.release(), handle ? closeHandle(handle) : undefined]);
    svc.resumeTimer = setLongTimeout(() => {
      svc.resumeTimer = undefined;
      state.suspendedUntil = 0;
      if (this.#services.get(state.config.identity) !== svc) return;
      void closed.then(() => this.#bind(svc)).then((bound) => {
        if (bound) onResume?.();
      });
    }, ms);
    // Kept referenced: with every socket closed, this timer may be all that keeps the daemon alive.
  }

  /** SIGABRT / -cc: check the counters against the live sessions. */
  consistencyCheck(): number {
    let errors = 0;
    let total = 0;
    for (const svc of this.#services.values()) {
      total += svc.sessions.size;
      if (svc.state.running < 0) errors++;
    }
    if (total > this.#running || this.#running < 0) errors++;
    if (errors === 0) this.message('info', 'Consistency check passed');
    else this.message('warning', `Consistency check detected ${errors} errors`);
    return errors;
  }

  /**
   * Write the SIGUSR1 state dump (core/state-dump.ts); everything is gathered only now. A dump
   * file that cannot be written is reported in xinetd's words, and undefined returned.
   */
  async dump(): Promise<string | undefined> {
    const file = this.options.dumpFile ?? '/var/run/xinetd.dump';
    const services: DumpedService[] = [...this.#services.values()].map((svc) => ({
      config: svc.state.config,
      suspended: svc.resumeTimer !== undefined,
      port: svc.port,
      running: svc.state.running,
      sources: svc.state.sources(),
      servers: [...svc.sessions].map(([session, conn]) => ({ pid: session.pid, startedAt: conn.startedAt, peer: conn.peer })),
    }));
    const text = renderStateDump({
      version: VERSION,
      now: new Date(),
      registry: this.attributes,
      netdb: this.#netdb,
      defaults: this.#config?.defaults,
      services,
      runningServers: this.#running,
      processLimit: this.options.processLimit,
      configFile: this.#config?.source ?? this.options.configFile,
      descriptors: await descriptorUse(),
    });
    try {
      // Not appendFile: a FIFO there would block the open, and the signals queued behind the
      // dump (SIGHUP, SIGTERM) with it, until a reader came.
      await appendToRegularFile(file, text, 0o644);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      const reason = e.code === 'ENOTREG' ? e.message : systemErrorText(e);
      this.message('error', `failed to ${e.syscall === 'open' ? 'open' : 'write'} ${file}: ${reason}`);
      return undefined;
    }
    this.message('info', `generated state dump in file ${file}`);
    return file;
  }

  #dumpConfig(config: ResolvedConfig): void {
    this.options.configDump?.(renderConfigDump({ registry: this.attributes, netdb: this.#netdb, defaults: config.defaults, services: config.services }));
  }

  /** The configuration's problems, as the daemon's messages (each with its file:line). */
  reportDiagnostics(config: ResolvedConfig): void {
    for (const d of config.diagnostics) {
      const level: DaemonLevel = d.level === 'error' ? 'error' : d.level;
      this.message(level, d.message, d.at);
    }
  }

  /** Start serving a service; false when its socket could not be made (the error is logged). */
  async #open(config: ServiceConfig): Promise<boolean> {
    const svc: ActiveService = { state: new ServiceState(config), handle: undefined, watched: undefined, port: 0, sessions: new Map(), inFlight: 0, resumeTimer: undefined };
    if (!isMuxClient(config) && !(await this.#bind(svc))) return false;
    this.#services.set(config.identity, svc);
    if (isMuxClient(config)) this.#activated(svc);
    return true;
  }

  #activated(svc: ActiveService): void {
    const config = svc.state.config;
    const socket: BoundSocket = { port: svc.port, address: hostFor(config), family: config.family };
    this.hooks.activated.call(config, socket);
  }

  /** Services served by the daemon itself accept here; external wait = yes ones go to the launcher. */
  async #bind(svc: ActiveService): Promise<boolean> {
    // The closures below read svc.state.config, never `config`: a closure that named it would
    // keep this configuration alive for as long as the listener, through every reload.
    const config = svc.state.config;
    const viaLauncher = config.wait && !config.types.has('INTERNAL') && !this.inProcessOwner(config);
    try {
      // Started first, so the socket is adopted in the same tick it starts listening: libuv never
      // gets a chance to accept or read on it.
      const launcher = viaLauncher ? await this.launcher() : undefined;
      const handle = await listen(config, {
        accepted: (fd, address, port, listener) => this.#onAccepted(svc, fd, address, port, listener.endpoint),
        connection: (socket) => this.#onConnection(svc, socket),
        datagram: (data, address, port, replyToken, receivedAt) => this.#onDatagram(svc, data, address, port, replyToken, receivedAt),
        error: (error) => {
          // accept() out of descriptors (xinetd: `no available descriptors`): the limits plugin pauses the service.
          if (error.code === 'EMFILE' || error.code === 'ENFILE') this.emit('descriptors-exhausted', svc.state);
          else this.message('error', `${svc.state.config.id}: ${error.message}`);
        },
      }, { accept: !viaLauncher });
      svc.port = boundPort(handle);
      if (launcher) {
        if (handle.kind === 'accept' || handle.kind === 'receive') throw new Error('internal: a launcher socket was bound for accepting');
        const watched = launcher.adopt(handle.kind === 'stream' ? handle.server : handle.socket, handle.kind);
        watched.on('ready', (peer?: { address: string; port: number }) => this.#onReady(svc, watched, peer));
        watched.on('lost', () => {
          // The launcher died before it held a copy: listen again.
          if (svc.watched !== watched || this.#services.get(svc.state.config.identity) !== svc) return;
          this.message('error', `${svc.state.config.id}: socket lost with the launcher; re-creating it`);
          svc.watched = undefined;
          void this.#bind(svc);
        });
        svc.watched = watched;
        // The launcher owns the socket now; the daemon's copy is closed by adopt().
        this.#activated(svc);
        return true;
      }
      svc.handle = handle;
      this.#activated(svc);
      return true;
    } catch (error) {
      this.message('error', `bind failed (${systemErrorText(error as Error)}). service = ${config.id}`);
      this.message('error', `Service ${config.id} failed to start and is deactivated.`);
      return false;
    }
  }

  async #stopService(identity: string, svc: ActiveService, signal: NodeJS.Signals | undefined): Promise<void> {
    this.#services.delete(identity);
    svc.resumeTimer?.clear();
    if (svc.watched) await svc.watched.release();
    else if (svc.handle) await closeHandle(svc.handle);
    this.hooks.deactivated.call(svc.state.config);
    if (signal) {
      this.#stoppedWith.set(svc.state, signal);
      for (const session of svc.sessions.keys()) this.#signalSession(svc.state.config, session, signal);
    }
    // At exit xinetd writes `Exiting...` only; a service going away otherwise is worth a line.
    if (!this.#closing) this.message('notice', `service ${svc.state.config.id} deactivated`);
  }

  #signalSession(service: ServiceConfig, session: Session, signal: NodeJS.Signals): void {
    if (session.pid > 0) this.message('warning', `Sending signal ${constants.signals[signal]} to ${service.id} server ${session.pid}`);
    session.stop(signal);
  }

  #connection(svc: ActiveService, fields: Partial<Connection>): Connection {
    return { id: this.#nextId++, service: svc.state.config, state: svc.state, peer: undefined, local: undefined, startedAt: Date.now(), ...fields };
  }

  #onAccepted(svc: ActiveService, fd: number, address: string, port: number, listening: Endpoint): void {
    const conn = new AcceptedConnection(nativeAccept!, this.#nextId++, svc.state.config, svc.state, fd, { address, port }, Date.now(), listening);
    this.#deciding++;
    runConnection(this.#host, conn, () => conn.close(), this.#decided);
  }

  #onConnection(svc: ActiveService, socket: net.Socket): void {
    socket.on('error', () => socket.destroy());
    void this.#runStream(svc, socket);
  }

  /**
   * Run the whole pipeline of another service on a connection already accepted (tcpmux hands a
   * client to the TCPMUX service it named): its access checks, limits, launch and records. The
   * socket must be paused, as after accept. `acceptedBy` is the service that accepted it. Resolves
   * false when `target` is not being served.
   */
  async dispatch(target: ServiceConfig, socket: net.Socket, acceptedBy: ServiceConfig): Promise<boolean> {
    const svc = this.#services.get(target.identity);
    if (!svc) return false;
    await this.#runStream(svc, socket, acceptedBy);
    return true;
  }

  #runStream(svc: ActiveService, socket: net.Socket, acceptedBy?: ServiceConfig): Promise<void> {
    const conn = this.#connection(svc, {
      socket,
      acceptedBy,
      peer: { address: socket.remoteAddress ?? '<no address>', port: socket.remotePort ?? 0 },
      local: { address: socket.localAddress ?? '', port: socket.localPort ?? 0 },
    });
    this.#deciding++;
    return runConnectionToEnd(this.#host, conn, () => {
      socket.end();
      socket.destroySoon();
    }).finally(this.#decided);
  }

  #onDatagram(svc: ActiveService, data: Buffer, address: string, port: number, replyToken?: number, receivedAt = Date.now()): void {
    const limit = this.options.maxDatagramsInFlight ?? 64;
    const handle = svc.handle;
    if (svc.inFlight >= limit || !handle || (handle.kind !== 'dgram' && handle.kind !== 'receive')) return;
    const config = svc.state.config;
    // Made once per socket (a suspended service gets a new one when it comes back).
    if (svc.sendVia !== handle || !svc.sendDatagram) {
      svc.sendVia = handle;
      svc.sendDatagram = handle.kind === 'receive'
        ? (buf, to, toPort, token) => handle.socket.send(buf, to, toPort, token)
        : (buf, to, toPort) => handle.socket.send(buf, toPort, to);
    }
    svc.local ??= { address: config.bind ?? '', port: config.port };
    const conn = new DatagramConnection(this.#nextId++, config, svc.state, data, { address, port }, svc.local, receivedAt, svc.sendDatagram, replyToken);
    svc.inFlight++;
    runConnection(this.#host, conn, noop, () => svc.inFlight--);
  }

  #onReady(svc: ActiveService, watched: WatchedSocket, peer: { address: string; port: number } | undefined): void {
    const conn = this.#connection(svc, { waiting: watched, peer, local: { address: svc.state.config.bind ?? '', port: svc.state.config.port } });
    runConnection(this.#host, conn, (_refusal: Refusal) => watched.refuse());
  }
}

const noop = () => {};

/**
 * Why a reload could not read its configuration. A main file that cannot be opened is told in
 * xinetd's words (`open( F ) failed: No such file or directory (errno = 2)`).
 */
function reloadFailureText(error: Error): string {
  const cause = (error as { cause?: unknown }).cause as (NodeJS.ErrnoException & { path?: string }) | undefined;
  if (cause?.syscall === 'open' && cause.path !== undefined) return `open( ${cause.path} ) failed: ${systemErrorText(cause)}`;
  return error.message;
}

/** A TCPMUX / TCPMUXPLUS service reached through tcpmux only: it has no socket of its own. */
const isMuxClient = (config: ServiceConfig) => config.port === 0 && (config.types.has('TCPMUX') || config.types.has('TCPMUXPLUS'));

/** How long a reload works before letting connections in (see loadConfig). */
const RELOAD_SLICE_MS = 2;
