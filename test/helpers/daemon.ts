import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shebangEnv, shebangNodeOptions } from './cli-node-options.js';
import { readLines, waitForLine } from './wait.js';

/** The repository root (tests run from dist/test/...). */
export const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
export const CLI = join(ROOT, 'dist/core/cli.js');

export interface RunningDaemon {
  readonly child: ChildProcess;
  readonly dir: string;
  /** The daemon's own messages (-filelog). */
  readonly messages: string;
  /** Conventional service log path (write `log_type = FILE ${d.serviceLog}` in the config). */
  readonly serviceLog: string;
  readonly dumpFile: string;
  readonly stderr: () => string;
  waitForMessage(pattern: RegExp, ms?: number): Promise<string>;
  waitForLog(pattern: RegExp, ms?: number): Promise<string>;
  logLines(): Promise<string[]>;
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM and wait for exit (SIGKILL after `ms`). */
  stop(ms?: number): Promise<void>;
}

export function tempDir(prefix = 'xinetd-ts-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Run the real CLI in the foreground on a config written into a temp dir. `config` may use
 * `${dir}` (the temp dir) and `${log}` (the service log path). Resolves once the daemon logged
 * `Started working`.
 */
export interface StartOptions {
  readonly args?: string[];
  /** Files written into the temp dir before start (name -> text; a name may hold sub-directories). */
  readonly files?: Record<string, string>;
  readonly configName?: string;
  /** The directory the daemon is started in (relative paths on its command line and in plugin options). */
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly ready?: RegExp;
  /**
   * A command that execs the daemon in a changed context (prlimit, a mount namespace), given
   * the temp dir; it must exec, so the child's pid stays the daemon's.
   */
  readonly wrapper?: (dir: string) => readonly string[];
  /**
   * Run this real xinetd binary instead of xinetd-ts, on the same files (the differential tests):
   * it has no -dumpfile (its dump is /var/run/xinetd.dump) and needs its -filelog file to exist.
   */
  readonly xinetd?: string;
  /** Run this xinetd-ts command (`dist/core/cli.js` of a package installed elsewhere) instead of the checkout's. */
  readonly cli?: string;
}

export async function startDaemon(config: string | ((paths: { dir: string; log: string }) => string), options: StartOptions = {}): Promise<RunningDaemon> {
  const dir = tempDir();
  const messages = join(dir, 'messages.log');
  const serviceLog = join(dir, 'service.log');
  const dumpFile = join(dir, 'xinetd.dump');
  for (const [name, text] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const confPath = join(dir, options.configName ?? 'xinetd.conf');
  const text = typeof config === 'function' ? config({ dir, log: serviceLog }) : config;
  writeFileSync(confPath, text);
  if (options.xinetd) writeFileSync(messages, '');
  const cli = options.cli ?? CLI;
  const argv = options.xinetd
    ? [options.xinetd, '-dontfork', '-f', confPath, '-filelog', messages, '-pidfile', join(dir, 'xinetd.pid'), ...(options.args ?? [])]
    : [process.execPath, ...shebangNodeOptions(cli), cli, '-dontfork', '-f', confPath, '-filelog', messages, '-dumpfile', dumpFile, ...(options.args ?? [])];
  const [command, ...rest] = [...(options.wrapper?.(dir) ?? []), ...argv];
  const child = spawn(command!, rest, {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
    env: shebangEnv(cli, options.env ?? process.env),
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  child.stdout!.resume();
  const exited = once(child, 'exit');
  const d: RunningDaemon = {
    child,
    dir,
    messages,
    serviceLog,
    dumpFile,
    stderr: () => err,
    waitForMessage: (p, ms) => waitForLine(messages, p, ms),
    waitForLog: (p, ms) => waitForLine(serviceLog, p, ms),
    logLines: () => readLines(serviceLog),
    signal: (sig) => child.kill(sig),
    async stop(ms = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), ms);
      await exited;
      clearTimeout(t);
    },
  };
  try {
    await Promise.race([
      d.waitForMessage(options.ready ?? /Started working/, 15_000),
      exited.then(() => {
        throw new Error(`daemon exited early: ${err}`);
      }),
    ]);
  } catch (error) {
    await d.stop();
    throw error;
  }
  return d;
}
