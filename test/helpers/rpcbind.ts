/**
 * The real daemon beside a real rpcbind, both in a private network and mount namespace of the
 * test's own (loopback only, a tmpfs over /run for rpcbind's socket), so the machine's own
 * rpcbind, if any, is never touched. Clients (rpcinfo, rup) run in the same namespaces
 * through nsenter.
 */
import assert from 'node:assert/strict';
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
  /** `rpcinfo -p`'s rows but rpcbind's own, once there are `count` of them. */
  waitForRows(count: number): Promise<string[]>;
  /** Start rpcbind in the namespaces; `warm: false` starts it without its saved table (as after a crash). */
  startRpcbind(options?: { warm?: boolean }): Promise<void>;
  /** Stop rpcbind and wait until its port is free. */
  stopRpcbind(): Promise<void>;
  stop(): Promise<void>;
}

/** Start rpcbind in the background (its pid in PIDFILE) and wait, bounded, for its socket. */
function rpcbindStart(pidFile: string, warm: boolean): string {
  return `rpcbind -f ${warm ? '-w' : ''} </dev/null >/dev/null 2>&1 &
echo $! > "${pidFile}"
i=0
while [ ! -S /run/rpcbind.sock ]; do
  i=$((i + 1)); [ $i -gt 200 ] && { echo "rpcbind did not start" >&2; exit 1; }
  sleep 0.05
done`;
}

/** `withRpcbind: false`: the namespaces without rpcbind (registrations must fail). */
export async function startWithRpcbind(config: Parameters<typeof startDaemon>[0], options: StartOptions & { withRpcbind?: boolean } = {}): Promise<RpcbindDaemon> {
  const script = `ip link set lo up || exit 1
mount -t tmpfs tmpfs /run || exit 1
${options.withRpcbind === false ? '' : rpcbindStart('$0/rpcbind.pid', true)}
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
  const shell = async (script: string) => {
    const r = await client('sh', ['-c', script]);
    assert.equal(r.code, 0, r.stderr);
  };
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
    waitForRows: (count) => waitFor(`${count} registrations`, async () => {
      const rows = (await registrations()).filter((r) => !r.startsWith('100000 '));
      return rows.length === count ? rows : undefined;
    }, { ms: 10_000, everyMs: 100 }),
    startRpcbind: ({ warm = true } = {}) => shell(rpcbindStart(join(daemon.dir, 'rpcbind.pid'), warm)),
    // It leaves its socket file behind: gone once its port is free, and the next one replaces the file.
    stopRpcbind: () => shell(`kill $(cat "${join(daemon.dir, 'rpcbind.pid')}")
i=0; while [ -n "$(ss -Hlnu 'sport = :111')" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
[ -z "$(ss -Hlnu 'sport = :111')" ] && rm -f /run/rpcbind.sock`),
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
