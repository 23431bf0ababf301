/**
 * The limits tests' view of a running daemon: the SIGUSR1 dump parsed into counts, a daemon
 * started under a lowered descriptor limit (prlimit), held client connections, CPU time.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type net from 'node:net';
import { startDaemon, type RunningDaemon } from './daemon.js';
import { connectWatched } from './net.js';
import { waitFor } from './wait.js';

export interface DumpedService {
  readonly name: string;
  readonly running: number;
  readonly sources: ReadonlyMap<string, number>;
}

export interface DumpedState {
  readonly services: readonly DumpedService[];
  readonly runningServers: number;
}

/** Parse the last dump in the (appended) dump file text. */
export function parseDump(text: string): DumpedState | undefined {
  const start = text.lastIndexOf('INTERNAL STATE DUMP');
  if (start < 0) return undefined;
  const dump = text.slice(start);
  if (!dump.includes('END OF DUMP')) return undefined;
  const services: DumpedService[] = [];
  let current: { name: string; running: number; sources: Map<string, number> } | undefined;
  let runningServers = NaN;
  for (const line of dump.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^Service = (.+)$/.exec(line))) services.push((current = { name: m[1]!, running: NaN, sources: new Map() }));
    else if (current && (m = /^\trunning servers = (-?\d+)$/.exec(line))) current.running = Number(m[1]);
    else if (current && (m = /^\tsessions from (.+) = (-?\d+)$/.exec(line))) current.sources.set(m[1]!, Number(m[2]));
    else if ((m = /^running_servers = (-?\d+)$/.exec(line))) runningServers = Number(m[1]);
  }
  return { services, runningServers };
}

/** SIGUSR1, then the new dump (bounded wait). */
export async function dumpState(d: RunningDaemon, ms = 5000): Promise<DumpedState> {
  const before = await readFile(d.dumpFile, 'utf8').catch(() => '');
  d.signal('SIGUSR1');
  return waitFor('a new state dump', async () => {
    const text = await readFile(d.dumpFile, 'utf8').catch(() => '');
    return text.length > before.length ? parseDump(text.slice(before.length)) : undefined;
  }, { ms, file: d.dumpFile });
}

/** Dump repeatedly until `ok` holds (sessions end asynchronously); returns that dump. */
export async function waitForDump(d: RunningDaemon, what: string, ok: (s: DumpedState) => boolean, ms = 15_000): Promise<DumpedState> {
  let last: DumpedState | undefined;
  try {
    return await waitFor(what, async () => {
      last = await dumpState(d);
      return ok(last) ? last : undefined;
    }, { ms, everyMs: 200 });
  } catch (error) {
    throw new Error(`${(error as Error).message}; last dump: ${JSON.stringify(last, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v))}`);
  }
}

/** Every count in the dump is zero. */
export function allZero(s: DumpedState): boolean {
  return s.runningServers === 0 && s.services.every((svc) => svc.running === 0 && svc.sources.size === 0);
}

/** startDaemon under `prlimit --nofile=N:N` (util-linux): the real CLI with a lowered descriptor limit. */
export function startDaemonWithNofile(nofile: number, config: (p: { dir: string; log: string }) => string, options: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<RunningDaemon> {
  return startDaemon(config, { ...options, wrapper: () => ['prlimit', `--nofile=${nofile}:${nofile}`, '--'] });
}

export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** A client connection kept open; `text()` is what it received so far. */
export interface Held {
  readonly socket: net.Socket;
  text(): string;
  /** Resolves when the server closed the connection (or it failed). */
  readonly closed: Promise<void>;
  /** Wait until the received text matches (bounded). */
  expect(pattern: RegExp, ms?: number): Promise<void>;
}

/** Connect (bounded); rejects on refusal or timeout. */
export async function connectHeld(port: number, options: { host?: string; localAddress?: string; ms?: number } = {}): Promise<Held> {
  const { socket, closed } = await connectWatched(port, options);
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  return {
    socket,
    text: () => text,
    closed,
    expect: (pattern, ms = 5000) => new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(text)) return;
        done();
        resolve();
      };
      const fail = () => {
        done();
        reject(new Error(`no ${pattern} from port ${port} (got ${JSON.stringify(text)})`));
      };
      const t = setTimeout(fail, ms);
      const done = () => {
        clearTimeout(t);
        socket.off('data', check);
        socket.off('close', onClose);
      };
      const onClose = () => (pattern.test(text) ? check() : fail());
      socket.on('data', check);
      socket.on('close', onClose);
      check();
    }),
  };
}

/** Connect, send `data`, and wait for the server to close (bounded); returns what was received. */
export async function sendAndWaitClose(port: number, data = '', ms = 5000): Promise<string> {
  const held = await connectHeld(port, { ms });
  if (data) held.socket.write(data);
  const timer = setTimeout(() => held.socket.destroy(), ms);
  await held.closed;
  clearTimeout(timer);
  return held.text();
}
