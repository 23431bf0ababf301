/**
 * One xinetd-ts-launcher process (C source in core/launcher/native/) seen from Node: starts
 * servers without forking the daemon and hands them sockets exactly as xinetd does
 * (docs/launcher.md).
 * core/launcher/launcher.ts pools several of these.
 *
 * Descriptors travel over Node's own IPC channel (`child.send(message, handle)`); every
 * message is a JSON string of space-separated, percent-encoded tokens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type * as dgram from 'node:dgram';
import * as net from 'node:net';
import { nativeAccept } from '../accept/native.js';
import { nativePath } from '../native-path.js';
import type { LaunchPlan } from './launch-plan.js';
import { isZombie, procStartTime } from './proc-stat.js';
import { RecentStarts } from './recent-starts.js';
import { MAX_REGISTERED_PLANS, sameStablePart, type RegisteredPlan } from './registered-plan.js';
import { LaunchedServer, type LauncherServerExit, type RunningServer } from './running-server.js';
import { Watched, stopDgramReceiving, type PeerAddress, type RawHandle, type WatchedSocket } from './watched-socket.js';
import { decodeToken, encodePlan, encodeToken, extraEnvTokens } from './wire-encoding.js';

export interface LauncherOptions {
  /** Path of the launcher binary (default: dist/native/xinetd-ts-launcher). */
  readonly binary?: string;
  /**
   * How long a started server counts as recent (default 50 ms: longer than a short server's
   * start and run under load, far shorter than a session). The pool (launcher.ts) reads it.
   */
  readonly recentMs?: number;
}

const defaultBinary = (): string => nativePath('xinetd-ts-launcher');

/** A command given in parts (see inlinePlanParts) as one string. */
function joined(command: string | readonly string[]): string {
  return typeof command === 'string' ? command : command.join('');
}

/** A start sent and not yet answered (`started` or `failed`). */
interface PendingStart {
  resolve(s: RunningServer): void;
  reject(e: Error): void;
  watched?: Watched;
}

/**
 * One long-lived launcher process. Events: 'error' (Error: the launcher died; it is restarted
 * automatically), 'restart' (a new launcher is up), 'warning' (Error: protocol complaints).
 */
export class LauncherProcess extends EventEmitter {
  private child?: ChildProcess;
  private up?: Promise<void>;
  private nextId = 1;
  /** Counts launcher processes: plans registered with an earlier one are gone. */
  private generation = 0;
  private readonly plans = new WeakMap<readonly string[], RegisteredPlan>();
  private livePlans = 0;
  private readonly planFinalizer = new FinalizationRegistry<{ generation: number; key: string }>(({ generation, key }) => {
    if (generation !== this.generation) return;
    this.livePlans--;
    this.sendQuiet(`forget ${key}`);
  });
  private closing = false;
  private closed?: Promise<void>;
  private readonly starts = new Map<string, PendingStart>();
  private readonly servers = new Map<string, LaunchedServer>();
  private readonly recent: RecentStarts;
  private readonly orphans = new Set<LaunchedServer>();
  private orphanTimer?: NodeJS.Timeout;
  private readonly watched = new Map<string, Watched>();
  private readonly pings = new Map<string, { resolve(): void; reject(e: Error): void }>();
  private readonly deaths: number[] = [];
  private restartTimer?: NodeJS.Timeout;
  /** A first launcher answered: from then on a dead launcher is restarted. */
  private everUp = false;
  /**
   * Descriptors sent and not yet acknowledged (NODE_HANDLE_ACK). While one is pending Node queues
   * every later message to this process, so the pool sends the next connection elsewhere.
   */
  private handlesAwaitingAck = 0;
  /**
   * When the current launcher process last sent a message, or was given work while it had
   * none (performance.now()).
   */
  private lastHeard = 0;
  /** The current launcher process answered its first ping and has not exited since. */
  private upNow = false;
  /** Our end of the descriptor channel of the current launcher process (native accept path). */
  private channel: number | undefined;
  private readonly inlinePlans = new WeakMap<readonly string[], RegisteredPlan & { readonly text: string }>();

  private constructor(
    private readonly binary: string,
    recentMs: number,
  ) {
    super();
    this.recent = new RecentStarts(recentMs);
  }

  /** Start the launcher process and wait until it answers. */
  static async start(options: LauncherOptions = {}): Promise<LauncherProcess> {
    const l = new LauncherProcess(options.binary ?? defaultBinary(), options.recentMs ?? 50);
    try {
      await l.spawnLauncher();
    } catch (err) {
      l.closing = true; // no restarts for a launcher that never came up
      l.child?.kill('SIGKILL');
      throw err;
    }
    return l;
  }

  /** pid of the current launcher process (undefined while it is being restarted). */
  get launcherPid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * pid of the current launcher process once it has answered, so has finished its own start-up
   * (it notes its starting scheduling policy there); undefined before that and while restarting.
   */
  get answeredPid(): number | undefined {
    return this.upNow ? this.child?.pid : undefined;
  }

  /** Number of servers started and not yet ended. */
  get running(): number {
    return this.servers.size;
  }

  /** A descriptor sent to this process waits for its acknowledgement. */
  get awaitingAck(): boolean {
    return this.handlesAwaitingAck > 0;
  }

  /** Servers started by this process within `recentMs` before `now` that are still running. */
  recentlyStarted(now: number): number {
    return this.recent.count(now);
  }

  /**
   * Starts are in flight and the launcher has sent nothing for `ms` (performance.now() clock):
   * it is stuck on one of them.
   */
  stalled(now: number, ms: number): boolean {
    return this.starts.size > 0 && now - this.lastHeard > ms;
  }

  /** Starts sent and not yet confirmed or refused. */
  get inFlight(): number {
    return this.starts.size;
  }

  /** The process is running (it may still be starting up). */
  get isUp(): boolean {
    return this.child?.connected === true;
  }

  /**
   * Start a server on an accepted descriptor that has no net.Socket (the native accept path).
   * The descriptor is this call's from now on: it travels with the command over the descriptor
   * channel and the daemon's copy is closed at once, or, without a channel, it is wrapped in a
   * socket and sent over IPC.
   */
  launchWithDescriptor(fd: number, plan: LaunchPlan): Promise<RunningServer> {
    // Inline, not a registered plan: registrations travel over IPC, and the two channels are
    // not ordered with each other.
    return this.startServer((id) => [`spawn ${id} `, ...this.inlinePlanParts(plan)], undefined, undefined, fd);
  }

  /**
   * Start a server with the accepted socket as its fds 0, 1 and 2 (wait = no). Pending writes
   * on the socket (a banner) are flushed first; the daemon's copy is closed once the launcher
   * has it. Create the server with `pauseOnConnect: true` so no client data is read here.
   */
  async launchWithSocket(socket: net.Socket, plan: LaunchPlan): Promise<RunningServer> {
    if (socket.writableLength > 0) {
      await new Promise<void>((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
    }
    socket.pause();
    const running = this.startServer((id) => `spawn ${id} ${this.planTokens(plan)}`, socket);
    // The object left its handle with the command. Destroyed once the server runs, it emits
    // 'close', so whoever waits for the connection to leave the daemon (tcpmux's session) sees
    // it go, after the server's START.
    running.then(() => socket.destroy(), () => undefined);
    return running;
  }

  /**
   * Hand a listening stream socket or a bound datagram socket (wait = yes) to the launcher,
   * which watches it from now on; the daemon's object is closed as soon as it has been sent
   * (its 'close' event fires) and must not be used any more. Call it right after 'listening'.
   */
  adopt(handle: net.Server | dgram.Socket, kind: 'stream' | 'dgram'): WatchedSocket {
    if (this.closing) throw new Error('launcher closed');
    const sid = `w${this.nextId++}`;
    const w = new Watched(this, sid, kind);
    this.watched.set(sid, w);
    if (kind === 'dgram') {
      stopDgramReceiving(handle as dgram.Socket);
    } else {
      // Between listen() and the hand-over libuv may accept; such a connection cannot be
      // given back to the kernel, so it is closed.
      (handle as net.Server).on('connection', (s: net.Socket) => s.destroy());
    }
    const closeOurs = (): void => {
      (handle as { close(): unknown }).close();
    };
    void this.ready()
      .then(() => this.sendRaw(`adopt ${encodeToken(sid)} ${kind}`, handle))
      .then(closeOurs, (err: Error) => {
        closeOurs();
        this.warn(new Error(`adopting ${sid} failed: ${err.message}`));
        w.emit('lost');
      });
    return w;
  }

  /** Round trip to the launcher. */
  async ping(): Promise<void> {
    await this.ready();
    const n = String(this.nextId++);
    const p = new Promise<void>((resolve, reject) => this.pings.set(n, { resolve, reject }));
    this.sendRaw(`ping ${n}`).catch(() => undefined);
    return p;
  }

  /**
   * Stop the launcher (servers keep running, as with xinetd). Exits of servers still running
   * are then followed by polling /proc.
   */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.orphanTimer?.unref(); // following orphans must not keep the process alive now
    for (const w of this.watched.values()) w.released();
    this.watched.clear();
    const child = this.child;
    this.closed = new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      if (child.connected) child.disconnect();
      else child.kill('SIGTERM');
    });
    return this.closed;
  }

  // -------------------------------------------------------------- internals

  /** @internal */
  startServer(command: (id: string) => string | readonly string[], socket?: net.Socket, watched?: Watched, fd?: number): Promise<RunningServer> {
    const id = String(this.nextId++);
    const started = new Promise<RunningServer>((resolve, reject) => {
      // A launcher silent while it had nothing to do is not stuck: count from now.
      if (this.starts.size === 0) this.lastHeard = performance.now();
      this.starts.set(id, { resolve, reject, watched });
    });
    const fail = (err: Error): void => {
      const p = this.starts.get(id);
      if (!p) return;
      this.starts.delete(id);
      if (watched && watched.state === 'running') watched.state = 'watching';
      p.reject(err);
    };
    // The command is built once the launcher is up: it may name a plan registered with it.
    if (fd === undefined) {
      this.ready().then(() => this.sendRaw(joined(command(id)), socket)).catch(fail);
      return started;
    }
    let owned = true;
    const send = (): Promise<void> | void => {
      const parts = command(id);
      const channel = this.channel;
      if (channel !== undefined && nativeAccept && nativeAccept.sendDescriptor(channel, fd, ...(typeof parts === 'string' ? [parts] : parts)) === 0) {
        owned = false;
        nativeAccept.release(fd);
        return;
      }
      // No channel, or it is full: the IPC channel, with the descriptor as a socket.
      owned = false;
      return this.sendRaw(joined(parts), new net.Socket({ fd, readable: true, writable: true, pauseOnCreate: true } as net.SocketConstructorOpts));
    };
    const failed = (err: Error): void => {
      if (owned) nativeAccept?.close(fd);
      fail(err);
    };
    // The common case, a launcher that is up: sent now, no promise on the way.
    if (this.upNow && !this.closing) {
      try {
        send()?.catch(failed);
      } catch (err) {
        failed(err as Error);
      }
    } else this.ready().then(send).catch(failed);
    return started;
  }

  /**
   * @internal The plan part of a start command. A plan is registered with the launcher once
   * (keyed by its argv array, which services build at configuration time) with all of its
   * environment but the last entry (REMOTE_HOST, the per-connection part); a start then carries
   * `plan=KEY` and the remaining entries only. Every field is compared, never assumed.
   */
  planTokens(plan: LaunchPlan): string {
    const known = this.plans.get(plan.argv);
    if (known && known.generation === this.generation && sameStablePart(known, plan)) {
      return `plan=${known.key}${extraEnvTokens(plan, known.envPrefix)}`;
    }
    if (this.livePlans >= MAX_REGISTERED_PLANS) return encodePlan(plan);
    const envPrefix = Math.max(0, plan.env.length - 1);
    const key = `p${this.nextId++}`;
    const text = encodePlan({ ...plan, env: plan.env.slice(0, envPrefix) });
    const extra = extraEnvTokens(plan, envPrefix);
    if (known && known.generation === this.generation) this.sendQuiet(`forget ${known.key}`);
    else this.livePlans++;
    this.sendQuiet(`plan ${key} ${text}`);
    const entry: RegisteredPlan = { key, generation: this.generation, plan, argv: [...plan.argv], envPrefix };
    this.plans.set(plan.argv, entry);
    if (!known) this.planFinalizer.register(plan.argv, { generation: this.generation, key });
    return `plan=${key}${extra}`;
  }

  /**
   * @internal The whole plan as tokens, in two parts: the stable part, encoded once per argv
   * array (services build theirs at configuration time) and compared field by field like a
   * registered plan, and this start's own environment entries. Kept apart so the stable text
   * (the daemon's whole environment, without passenv) is never copied into a new string.
   */
  inlinePlanParts(plan: LaunchPlan): [string, string] {
    const known = this.inlinePlans.get(plan.argv);
    if (known && sameStablePart(known, plan)) return [known.text, extraEnvTokens(plan, known.envPrefix)];
    const envPrefix = Math.max(0, plan.env.length - 1);
    const text = encodePlan({ ...plan, env: plan.env.slice(0, envPrefix) });
    this.inlinePlans.set(plan.argv, { key: '', generation: 0, plan, argv: [...plan.argv], envPrefix, text });
    return [text, extraEnvTokens(plan, envPrefix)];
  }

  /** @internal Send a command, ignoring a dead channel (the caller's state handles it). */
  sendQuiet(text: string): void {
    this.sendRaw(text).catch(() => undefined);
  }

  /** @internal */
  releaseWatched(w: Watched): void {
    if (!this.watched.has(w.sid)) {
      w.released();
      return;
    }
    this.sendRaw(`release ${encodeToken(w.sid)}`).catch(() => {
      this.watched.delete(w.sid);
      w.released();
    });
  }

  private sendRaw(text: string, handle?: net.Socket | net.Server | dgram.Socket | RawHandle): Promise<void> {
    const child = this.child;
    if (!child || !child.connected) return Promise.reject(new Error('xinetd-ts-launcher is not running'));
    if (handle) this.handlesAwaitingAck++;
    return new Promise<void>((resolve, reject) => {
      // RawHandle (TCPWrap/UDPWrap) is accepted by child.send at run time.
      child.send(text, handle as net.Socket | undefined, (err) => (err ? reject(err) : resolve()));
    });
  }

  private ready(): Promise<void> {
    if (this.closing) return Promise.reject(new Error('launcher closed'));
    return this.up ?? Promise.reject(new Error('launcher not started'));
  }

  private warn(err: Error): void {
    if (this.listenerCount('warning') > 0) this.emit('warning', err);
  }

  private spawnLauncher(): Promise<void> {
    this.closeChannel();
    // The descriptor channel is the launcher's fd 4 (XINETD_TS_FD_CHANNEL), when the native
    // accept path is there to use it.
    const pair = nativeAccept?.channel();
    const child = spawn(this.binary, [], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc', ...(pair ? [pair[1]] : [])],
      serialization: 'json',
      // Its own session: under autogroup scheduling (Debian's default) the start path then has a
      // CPU share of its own instead of splitting the daemon's with its event loop.
      detached: true,
      env: pair ? { ...process.env, XINETD_TS_FD_CHANNEL: '4' } : process.env,
    });
    if (pair) {
      nativeAccept!.release(pair[1]);
      this.channel = pair[0];
    }
    this.child = child;
    this.generation++;
    this.livePlans = 0;
    this.handlesAwaitingAck = 0;
    child.on('internalMessage', (m: { cmd?: string } | null) => {
      if (child === this.child && m?.cmd === 'NODE_HANDLE_ACK' && this.handlesAwaitingAck > 0) this.handlesAwaitingAck--;
    });
    child.on('message', (m: unknown, handle: unknown) => this.onMessage(child, m, handle as RawHandle | undefined));
    const up = new Promise<void>((resolve, reject) => {
      let settled = false;
      const onEarly = (err: Error): void => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      child.once('error', (err: NodeJS.ErrnoException) => {
        onEarly(
          new Error(
            err.code === 'ENOENT' || err.code === 'EACCES'
              ? `cannot run ${this.binary} (${err.code}): build it with "node scripts/build-native.mjs"`
              : `cannot run ${this.binary}: ${err.message}`,
          ),
        );
        // A failed spawn emits 'error' and no 'exit'.
        if (child.pid === undefined) this.onLauncherExit(child, null, null);
      });
      child.once('exit', (code, signal) => {
        onEarly(new Error(`xinetd-ts-launcher exited during start-up (${signal ?? `status ${code}`})`));
        this.onLauncherExit(child, code, signal);
      });
      const n = String(this.nextId++);
      this.pings.set(n, {
        resolve: () => {
          settled = true;
          this.everUp = true;
          this.upNow = true;
          resolve();
        },
        reject: onEarly,
      });
      if (child.connected) child.send(`ping ${n}`, (err) => err && onEarly(err));
    });
    this.up = up;
    up.catch(() => undefined);
    return up;
  }

  private onMessage(child: ChildProcess, m: unknown, handle: RawHandle | undefined): void {
    if (child !== this.child || typeof m !== 'string') {
      handle?.close();
      return;
    }
    this.lastHeard = performance.now();
    const t = m.split(' ').map(decodeToken);
    switch (t[0]) {
      case 'started': {
        const p = this.starts.get(t[1]);
        if (!p) return;
        this.starts.delete(t[1]);
        const s = new LaunchedServer(this, t[1], Number(t[2]), p.watched);
        s.endRecent = this.recent.add(performance.now());
        this.servers.set(t[1], s);
        p.resolve(s);
        return;
      }
      case 'failed': {
        const p = this.starts.get(t[1]);
        if (!p) return;
        this.starts.delete(t[1]);
        if (p.watched && p.watched.state === 'running') p.watched.state = 'watching';
        p.reject(new Error(`cannot start server: ${t[2] ?? 'unknown error'}`));
        return;
      }
      case 'execfail':
      case 'setupfail': {
        const s = this.servers.get(t[1]);
        if (!s) return;
        if (t[0] === 'execfail') s.execError = t[2];
        else s.setupError = t[2];
        if (t[3] !== undefined) s.errno = Number(t[3]);
        return;
      }
      case 'exit': {
        const s = this.servers.get(t[1]);
        if (!s) return;
        this.servers.delete(t[1]);
        const n = Number(t[4]);
        const e: LauncherServerExit = {
          ...(t[3] === 'signal' ? { signal: n } : { status: n }),
          ...(s.execError !== undefined ? { execError: s.execError } : {}),
          ...(s.setupError !== undefined ? { setupError: s.setupError } : {}),
          ...(s.errno !== undefined ? { errno: s.errno } : {}),
        };
        if (s.watched && s.watched.state === 'running') s.watched.state = 'watching';
        s.finish(e);
        return;
      }
      case 'ready': {
        const w = this.watched.get(t[1]);
        if (!w || w.state === 'released') return;
        w.state = 'ready';
        const peer: PeerAddress | undefined =
          t[2] === '-' ? undefined : { address: t[2], port: Number(t[3]), family: t[4] === 'IPv6' ? 'IPv6' : 'IPv4' };
        w.emit('ready', peer);
        return;
      }
      case 'keep': {
        const w = this.watched.get(t[1]);
        if (!handle) return;
        if (!w || w.state === 'released') {
          handle.close();
          return;
        }
        if (w.keep && w.keep !== handle) w.keep.close();
        w.keep = handle;
        return;
      }
      case 'adopted': {
        const w = this.watched.get(t[1]);
        if (w && w.state === 'adopting') w.state = 'watching';
        return;
      }
      case 'released': {
        const w = this.watched.get(t[1]);
        if (!w) return;
        this.watched.delete(t[1]);
        w.released();
        return;
      }
      case 'pong': {
        const p = this.pings.get(t[1]);
        if (!p) return;
        this.pings.delete(t[1]);
        p.resolve();
        return;
      }
      case 'error':
        this.warn(new Error(`xinetd-ts-launcher: ${t.slice(1).join(' ')}`));
        return;
      default:
        handle?.close();
    }
  }

  private closeChannel(): void {
    if (this.channel !== undefined) nativeAccept?.release(this.channel);
    this.channel = undefined;
  }

  private onLauncherExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.upNow = false;
    this.handlesAwaitingAck = 0;
    this.closeChannel();
    if (!this.everUp) return; // Launcher.start() reports it
    const why = signal ? `signal ${signal}` : `status ${code}`;
    const lost = new Error(`xinetd-ts-launcher (pid ${child.pid}) died (${why})`);
    for (const [id, p] of this.starts) {
      this.starts.delete(id);
      if (p.watched && p.watched.state === 'running') p.watched.state = 'watching';
      p.reject(new Error(`${lost.message} before confirming the start; the server may be running`));
    }
    for (const [n, p] of this.pings) {
      this.pings.delete(n);
      p.reject(lost);
    }
    // Servers it started live on, reparented: follow them through /proc.
    for (const s of this.servers.values()) {
      s.orphan = true;
      s.orphanStart = procStartTime(s.pid);
      this.orphans.add(s);
      if (s.watched) s.watched.orphanServer = s;
    }
    this.servers.clear();
    this.pollOrphans();
    if (this.closing) {
      for (const w of this.watched.values()) w.released();
      this.watched.clear();
      return;
    }
    if (this.listenerCount('error') > 0) this.emit('error', new Error(`${lost.message}; restarting it`));
    else process.stderr.write(`xinetd-ts: ${lost.message}; restarting it\n`);
    // Back off when it keeps dying.
    const now = Date.now();
    this.deaths.push(now);
    while (this.deaths.length && this.deaths[0] < now - 10_000) this.deaths.shift();
    const delay = this.deaths.length <= 1 ? 0 : Math.min(5000, 250 * 2 ** (this.deaths.length - 2));
    const up = new Promise<void>((resolve, reject) => {
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.closing) {
          reject(new Error('launcher closed'));
          return;
        }
        this.spawnLauncher().then(
          () => {
            resolve();
            this.readoptAll();
            this.emit('restart');
          },
          (err: Error) => reject(err),
        );
      }, delay);
    });
    up.catch(() => undefined);
    this.up = up;
  }

  /** Give every watched socket to the new launcher (once the server using it, if any, ended). */
  private readoptAll(): void {
    for (const w of this.watched.values()) {
      if (w.state === 'released') continue;
      const keep = w.keep;
      if (!keep) {
        this.watched.delete(w.sid);
        w.state = 'released';
        w.released();
        w.emit('lost');
        continue;
      }
      const busy = w.orphanServer !== undefined && !w.orphanServer.done;
      w.state = busy ? 'running' : 'adopting';
      this.sendRaw(`adopt ${encodeToken(w.sid)} ${w.kind}${busy ? ' idle' : ''}`, keep).catch(() => undefined);
      if (busy) {
        void w.orphanServer!.exited.then(() => {
          w.orphanServer = undefined;
          if (w.state === 'running') {
            w.state = 'watching';
            this.sendQuiet(`resume ${encodeToken(w.sid)}`);
          }
        });
      }
    }
  }

  private pollOrphans(): void {
    for (const s of this.orphans) {
      const st = procStartTime(s.pid);
      if (st === undefined || st !== s.orphanStart || isZombie(s.pid)) {
        this.orphans.delete(s);
        s.finish({ status: 0, orphaned: true });
      }
    }
    if (this.orphans.size === 0) {
      if (this.orphanTimer) clearInterval(this.orphanTimer);
      this.orphanTimer = undefined;
      return;
    }
    if (!this.orphanTimer) {
      this.orphanTimer = setInterval(() => this.pollOrphans(), 1000);
      if (this.closing) this.orphanTimer.unref();
    }
  }
}
