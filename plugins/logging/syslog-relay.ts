import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { nativePath } from '../../core/native-path.js';
import { SinkHealth, type Report } from '../../core/log-file/sink-health.js';

/** Bytes queued towards the relay before records are dropped (the relay queues more itself). */
const MAX_PIPE_BACKLOG = 256 * 1024;
const RESPAWN_MS = 1000;

const defaultBinary = (): string => nativePath('xinetd-ts-syslog-relay');

/**
 * The local syslog socket (/dev/log) through xinetd-ts-syslog-relay, a small C process:
 * Node has no unix datagram sockets. Messages go down the relay's stdin, one per line; the
 * relay reports state changes on stdout ("down ...", "stalled", "up N"), reported here once
 * each. Started on first use; restarted (at most once a second) if it dies.
 */
export class SyslogRelay {
  readonly #socketPath: string;
  readonly #binary: string;
  readonly #health: SinkHealth;
  #child: ChildProcess | undefined;
  #respawnAt = 0;
  #closed = false;

  constructor(socketPath: string, report: Report, binary = defaultBinary()) {
    this.#socketPath = socketPath;
    this.#binary = binary;
    this.#health = new SinkHealth(`syslog socket ${socketPath}`, report, 'the newest messages are held until it recovers');
  }

  get socketPath(): string {
    return this.#socketPath;
  }

  /** One complete syslog message (no newline). */
  send(message: string): void {
    if (this.#closed) return;
    const child = this.#child ?? this.#spawn();
    const stdin = child?.stdin;
    if (!stdin || stdin.destroyed) return this.#health.lost();
    if (stdin.writableLength > MAX_PIPE_BACKLOG) {
      this.#health.failed('the syslog relay is not keeping up');
      return this.#health.lost();
    }
    stdin.write(`${message.replace(/[\r\n]+/g, ' ')}\n`);
  }

  /** Let the relay deliver what it holds (it gives up after one second), then stop it. */
  async close(): Promise<void> {
    this.#closed = true;
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  #spawn(): ChildProcess | undefined {
    if (Date.now() < this.#respawnAt) return undefined;
    this.#respawnAt = Date.now() + RESPAWN_MS;
    let child: ChildProcess;
    try {
      child = spawn(this.#binary, [this.#socketPath], { stdio: ['pipe', 'pipe', 'ignore'] });
    } catch (error) {
      this.#health.failed(`cannot start the syslog relay: ${(error as Error).message}`);
      return undefined;
    }
    child.on('error', (error) => {
      this.#health.failed(`syslog relay: ${error.message}`);
      if (this.#child === child) this.#child = undefined;
    });
    child.stdin!.on('error', () => undefined); // EPIPE when the relay died; 'exit' reports it
    child.on('exit', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      if (!this.#closed) this.#health.failed(`the syslog relay exited (${signal ?? `status ${code}`})`);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => this.#status(line));
    // Never what keeps the daemon (or `check`) alive.
    child.unref();
    for (const pipe of [child.stdin, child.stdout]) (pipe as unknown as { unref?: () => void } | null)?.unref?.();
    this.#child = child;
    return child;
  }

  #status(line: string): void {
    if (line.startsWith('down ')) this.#health.failed(line.slice(5));
    else if (line === 'stalled') this.#health.failed('syslog is not reading fast enough, oldest messages dropped');
    else if (line.startsWith('up ')) {
      this.#health.lost(Number(line.slice(3)) || 0);
      this.#health.recovered();
    }
  }
}
