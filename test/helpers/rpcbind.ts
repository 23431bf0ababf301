/**
 * The real daemon beside a real rpcbind, both in a private network and mount namespace of the
 * test's own (loopback only, a tmpfs over /run for rpcbind's socket), so the machine's own
 * rpcbind, if any, is never touched. Clients (rpcinfo, rup) run in the same namespaces
 * through nsenter.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type RunningDaemon, type StartOptions } from './daemon.js';
import { run, type RunResult } from './e2e.js';
import { waitFor } from './wait.js';

export interface RpcbindDaemon {
  readonly daemon: RunningDaemon;
  /** Run a client inside the namespaces (still there after the daemon exits). */
  client(command: string, args: readonly string[]): Promise<RunResult>;
  /** `rpcinfo -p`'s rows as `program version protocol port`. */
  registrations(): Promise<string[]>;
  /** Wait until `rpcinfo -p` shows exactly `rows` for the programs they name. */
  waitForRegistrations(programs: readonly number[], rows: readonly string[], ms?: number): Promise<void>;
  stop(): Promise<void>;
}

/** `withRpcbind: false`: the namespaces without rpcbind (registrations must fail). */
export async function startWithRpcbind(config: Parameters<typeof startDaemon>[0], options: StartOptions & { withRpcbind?: boolean } = {}): Promise<RpcbindDaemon> {
  const rpcbind = options.withRpcbind === false ? '' : `
rpcbind -f -w &
echo $! > "$0/rpcbind.pid"
i=0
while [ ! -S /run/rpcbind.sock ]; do
  i=$((i + 1)); [ $i -gt 200 ] && { echo "rpcbind did not start" >&2; exit 1; }
  sleep 0.05
done`;
  const script = `ip link set lo up || exit 1
mount -t tmpfs tmpfs /run || exit 1${rpcbind}
exec "$@"`;
  const daemon = await startDaemon(config, { ...options, wrapper: (dir) => ['unshare', '-n', '-m', '--propagation', 'private', 'sh', '-c', script, dir] });
  const rpcbindPid = (): number | undefined => {
    try {
      return Number(readFileSync(join(daemon.dir, 'rpcbind.pid'), 'utf8'));
    } catch {
      return undefined;
    }
  };
  const inNamespace = (): number => {
    const alive = daemon.child.exitCode === null && daemon.child.signalCode === null;
    const pid = alive ? daemon.child.pid : rpcbindPid();
    if (pid === undefined) throw new Error('nothing left in the namespaces');
    return pid;
  };
  const client = (command: string, args: readonly string[]) => run('nsenter', ['-t', String(inNamespace()), '-n', '-m', '--', command, ...args]);
  const registrations = async () => {
    const r = await client('rpcinfo', ['-p']);
    if (r.code !== 0) throw new Error(`rpcinfo -p failed: ${r.stderr}`);
    return r.stdout.split('\n').slice(1).map((l) => l.trim().split(/\s+/).slice(0, 4).join(' ')).filter((l) => l !== '');
  };
  return {
    daemon,
    client,
    registrations,
    async waitForRegistrations(programs, rows, ms = 10_000) {
      const want = [...rows].sort().join('\n');
      let last = '';
      await waitFor(`registrations ${want}`, async () => {
        last = (await registrations()).filter((r) => programs.includes(Number(r.split(' ')[0]))).sort().join('\n');
        return last === want ? true : undefined;
      }, { ms, everyMs: 100 }).catch((error: Error) => {
        throw new Error(`${error.message}; rpcinfo -p shows:\n${last}`);
      });
    },
    async stop() {
      await daemon.stop();
      const pid = rpcbindPid();
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    },
  };
}
