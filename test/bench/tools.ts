/**
 * The benchmark's native helpers, built with the machine's C compiler into a temporary
 * directory: the load generator (test/bench/loadgen.c) and the spawned `hello` server.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface Tools {
  readonly loadgen: string;
  readonly hello: string;
}

function compile(cc: string, args: readonly string[]): boolean {
  const r = spawnSync(cc, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  return !r.error && r.status === 0;
}

export function buildTools(root: string, dir: string): Tools {
  const cc = process.env.CC || 'cc';
  const loadgen = join(dir, 'loadgen');
  const hello = join(dir, 'hello');
  if (!compile(cc, ['-O2', '-pthread', '-o', loadgen, join(root, 'test', 'bench', 'loadgen.c')])) {
    throw new Error(`cannot build the load generator with ${cc} (apt-get install -y gcc)`);
  }
  // Static when the C library allows it: the server's own start-up cost is then the smallest.
  const source = join(root, 'test', 'bench', 'hello.c');
  if (!compile(cc, ['-O2', '-static', '-o', hello, source]) && !compile(cc, ['-O2', '-o', hello, source])) {
    throw new Error(`cannot build test/bench/hello.c with ${cc}`);
  }
  return { loadgen, hello };
}

export type LoadMode = 'close' | 'echo' | 'read' | 'write' | 'pipe' | 'udp';

export interface LoadResult {
  readonly mode: LoadMode;
  readonly clients: number;
  readonly seconds: number;
  readonly ops: number;
  readonly errors: number;
  /** Operations (connections, requests) per second. */
  readonly rate: number;
  /** 1e6 bytes per second (bulk modes). */
  readonly mbps: number;
  readonly p50ms: number;
  readonly p90ms: number;
  readonly p99ms: number;
  readonly p999ms: number;
  readonly maxms: number;
  /** Operations and bytes including the warm-up (what the daemon's CPU time was spent on). */
  readonly allOps: number;
  readonly allBytes: number;
}

/** Run the load generator once; bounded by its own duration plus a margin. */
export function runLoad(tools: Tools, mode: LoadMode, address: string, port: number, clients: number, seconds: number, size = 0): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tools.loadgen, [mode, address, String(port), String(clients), String(seconds), String(size)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own session, like remote clients (see startDaemon)
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    // Every call in the generator is bounded by 3 s; 10 s over the duration means it hangs.
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 10) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        if (code !== 0) throw new Error(`loadgen ${mode} exited with ${code}: ${err.trim()}`);
        resolve(JSON.parse(out) as LoadResult);
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}
