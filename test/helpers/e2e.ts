/**
 * Helpers for the end-to-end tests of spawned servers, listeners and the daemon lifecycle:
 * distinct free ports, service blocks, long-lived client connections, process liveness.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { join, resolve } from 'node:path';
import { ROOT } from './daemon.js';
import { freePort } from './net.js';
import { readLines, waitFor } from './wait.js';

/** The fixture servers (small /bin/sh scripts) of test/fixtures/servers. */
export const SERVERS = join(ROOT, 'test/fixtures/servers');

export function fixture(name: string): string {
  return resolve(SERVERS, name);
}

/** `n` free ports, all different from each other. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < n && attempt < n * 10; attempt++) ports.add(await freePort());
  if (ports.size < n) throw new Error(`could not find ${n} distinct free ports`);
  return [...ports];
}

/** One `service NAME { ... }` block; each attribute line is written as given. */
export function service(name: string, lines: readonly string[]): string {
  return `service ${name}\n{\n${lines.map((l) => `\t${l}\n`).join('')}}\n`;
}

/** A stream wait = no UNLISTED service running `server` as `user` on `port`. */
export function streamService(name: string, port: number, server: string, extra: readonly string[] = [], user = 'nobody'): string {
  return service(name, ['type = UNLISTED', 'socket_type = stream', 'protocol = tcp', 'wait = no', `port = ${port}`, `user = ${user}`, `server = ${server}`, ...extra]);
}

/** `defaults` logging START/EXIT/FAIL with everything the tests read into `log`. */
export function loggingDefaults(log: string, extra: readonly string[] = []): string {
  return `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_success = PID HOST EXIT\n\tlog_on_failure = HOST\n${extra.map((l) => `\t${l}\n`).join('')}}\n`;
}

/** A client connection kept open, with its received bytes readable at any time. */
export interface HeldConnection {
  readonly socket: net.Socket;
  received(): string;
  /** Wait until the received text matches (bounded). */
  expect(pattern: RegExp, ms?: number): Promise<string>;
  /** Wait until the peer closed the connection (bounded). */
  closed(ms?: number): Promise<void>;
  end(): void;
}

/**
 * A session with an echoing server (/bin/cat), held open until the test ends: connected and seen
 * to echo `line`, so the server runs and its START is logged.
 */
export async function echoingSession(t: TestContext, port: number, line: string): Promise<HeldConnection> {
  const c = await hold(port);
  t.after(() => c.end());
  c.socket.write(line);
  await c.expect(new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  return c;
}

export async function hold(port: number, host = '127.0.0.1', localAddress?: string): Promise<HeldConnection> {
  const socket = net.connect({ port, host, localAddress });
  let text = '';
  let isClosed = false;
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (isClosed = true));
  await once(socket, 'connect');
  return {
    socket,
    received: () => text,
    expect: (pattern, ms = 5000) => waitFor(`${pattern} from port ${port} (got ${JSON.stringify(text)})`, () => (pattern.test(text) ? text : undefined), { ms, everyMs: 10 }),
    closed: (ms = 5000) => waitFor(`port ${port} to close`, () => (isClosed ? true : undefined), { ms, everyMs: 10 }).then(() => undefined),
    end: () => socket.destroy(),
  };
}

/** Whether `pid` is a live (non-zombie) process. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function waitForGone(pid: number, ms = 5000): Promise<true> {
  return waitFor(`process ${pid} to end`, () => (alive(pid) ? undefined : true), { ms, everyMs: 20 });
}

/** The pid in a `START: id pid=N ...` record. */
export function pidOf(record: string): number {
  const m = / pid=(\d+)/.exec(record);
  if (!m) throw new Error(`no pid in ${record}`);
  return Number(m[1]);
}

/** Try to connect; resolves 'connected' or the error code (ECONNREFUSED...). */
export async function tryConnect(port: number, host: string, ms = 3000): Promise<string> {
  const socket = net.connect({ port, host });
  const timer = setTimeout(() => socket.destroy(new Error('ETIMEDOUT')), ms);
  try {
    await once(socket, 'connect');
    return 'connected';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a program to completion (bounded by `ms`, then SIGKILL and reject). */
export function run(file: string, args: readonly string[], options: { cwd?: string; ms?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} ${args.join(' ')} did not finish within ${options.ms ?? 10_000} ms (stdout ${stdout}, stderr ${stderr})`));
    }, options.ms ?? 10_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    // A program that never reads its input may be gone before it is written (EPIPE).
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Resolve with the exit of a child process (bounded; already exited resolves at once). */
export async function exitOf(child: ChildProcess, ms = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null })),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`process ${child.pid} did not exit within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wait until `file` holds at least `n` lines matching `pattern`; returns them all. */
export function waitForLines(file: string, pattern: RegExp, n: number, ms = 10_000): Promise<string[]> {
  return waitFor(`${n} lines matching ${pattern} in ${file}`, async () => {
    const lines = (await readLines(file)).filter((l) => pattern.test(l));
    return lines.length >= n ? lines : undefined;
  }, { ms, file });
}
