/**
 * The launchers' scheduling policy follows the queue of starts (core/launcher/launcher-scheduling.ts):
 * SCHED_BATCH while it is short, SCHED_OTHER from 24 starts in flight, SCHED_BATCH again at 12
 * or fewer; servers always run with the policy the daemon was started with. Read from
 * /proc/PID/stat (field 41, policy: 0 SCHED_OTHER, 3 SCHED_BATCH), by the real
 * daemon's real launchers and servers.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { LauncherScheduling } from '../../core/launcher/launcher-scheduling.js';
import { ROOT, startDaemon } from '../helpers/daemon.js';
import { loggingDefaults, streamService } from '../helpers/e2e.js';
import { exchange, freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

const CORE_DIST = `${ROOT}/dist/core`;
const OTHER = 0;
const BATCH = 3;

/** A server that prints its own scheduling policy. */
const POLICY_SCRIPT = "#!/bin/sh\nawk '{print $41}' /proc/$$/stat\n";

function policyOf(pid: number): number {
  // The command name (field 2) may hold spaces: count from the closing parenthesis.
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
}

function launchersOf(daemon: number): number[] {
  return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(daemon)], { encoding: 'latin1' })
    .split('\n').map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm?.startsWith('xinetd-ts-launc')).map(([pid]) => Number(pid));
}

async function policyDaemon(env: NodeJS.ProcessEnv = {}, wrapper?: readonly string[]) {
  const port = await freePort();
  const d = await startDaemon(({ dir, log }) => [
    loggingDefaults(log, ['instances = UNLIMITED', 'per_source = UNLIMITED', 'cps = 0']),
    streamService('policy', port, '/bin/sh', ['bind = 127.0.0.1', `server_args = ${dir}/policy.sh`], 'root'),
  ].join('\n'), { env: { ...process.env, ...env }, files: { 'policy.sh': POLICY_SCRIPT }, wrapper: wrapper && (() => wrapper) });
  return { d, port, serverPolicy: async () => Number((await exchange(port)).toString().trim()) };
}

test('the launchers wait as SCHED_BATCH, their servers run as SCHED_OTHER; a restarted launcher is set again', { timeout: 30_000 }, async (t) => {
  const { d, serverPolicy } = await policyDaemon({ XINETD_TS_LAUNCHERS: '2' });
  t.after(() => d.stop());
  assert.equal(await serverPolicy(), OTHER);
  const launchers = launchersOf(d.child.pid!);
  assert.equal(launchers.length, 2);
  assert.deepEqual(launchers.map(policyOf), [BATCH, BATCH]);

  // No start meanwhile: the restart itself sets the new process.
  process.kill(launchers[0]!, 'SIGKILL');
  await waitFor('a new launcher process, as SCHED_BATCH', () => {
    const now = launchersOf(d.child.pid!);
    return now.length === 2 && !now.includes(launchers[0]!) && now.every((pid) => policyOf(pid) === BATCH) ? true : undefined;
  }, { ms: 10_000 });
  assert.equal(await serverPolicy(), OTHER);
});

test('the rule: SCHED_OTHER from 24 starts in flight, SCHED_BATCH again at 12; only launchers that answered are set', () => {
  const calls: [number, boolean][] = [];
  const rule = new LauncherScheduling((pid, batch) => {
    calls.push([pid, batch]);
    return 0;
  });
  const pool = [{ answeredPid: 101 }, { answeredPid: undefined }, { answeredPid: 103 }];
  const after = (queued: number): [number, boolean][] => {
    calls.length = 0;
    rule.follow(queued, pool);
    return [...calls];
  };
  assert.deepEqual(after(0), [[101, true], [103, true]], 'the first start sets every answered launcher');
  assert.deepEqual(after(23), []);
  assert.deepEqual(after(24), [[101, false], [103, false]]);
  assert.deepEqual(after(40), []);
  assert.deepEqual(after(13), [], 'between the bounds the policy stays');
  assert.deepEqual(after(12), [[101, true], [103, true]]);
  assert.deepEqual(after(20), [], 'between the bounds the policy stays');
  rule.forget();
  assert.deepEqual(after(20), [[101, true], [103, true]], 'after a restart every launcher is set again');
  rule.forget();
  assert.deepEqual(after(30), [[101, false], [103, false]]);
});

test('24 starts in flight make the launcher SCHED_OTHER; a short queue makes it SCHED_BATCH again', { timeout: 60_000 }, async (t) => {
  const { d, port, serverPolicy } = await policyDaemon({ XINETD_TS_LAUNCHERS: '1' });
  t.after(() => d.stop());
  assert.equal(await serverPolicy(), OTHER);
  const [launcher] = launchersOf(d.child.pid!);
  assert.equal(policyOf(launcher!), BATCH);

  // A stopped launcher acknowledges nothing: each connection the daemon accepts is one more
  // start in flight.
  process.kill(launcher!, 'SIGSTOP');
  let stopped = true;
  t.after(() => {
    if (stopped) process.kill(launcher!, 'SIGCONT');
  });
  const replies: Promise<string>[] = [];
  for (let i = 0; i < 30; i++) {
    const socket = net.connect(port, '127.0.0.1');
    replies.push(new Promise((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`client ${i}: no answer within 30 s`)), 30_000);
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      socket.on('end', () => {
        clearTimeout(timer);
        resolve(text);
      });
      socket.on('error', reject);
    }));
  }
  await waitFor('the launcher switched to SCHED_OTHER', () => (policyOf(launcher!) === OTHER ? true : undefined), { ms: 10_000 });

  process.kill(launcher!, 'SIGCONT');
  stopped = false;
  // Every server ran as SCHED_OTHER, whatever the launcher's policy when it was started.
  assert.deepEqual((await Promise.all(replies)).map((r) => r.trim()), Array(30).fill(String(OTHER)));
  // A start once the launcher's reports are in finds the queue empty.
  await waitFor('the launcher back to SCHED_BATCH', async () => {
    assert.equal(await serverPolicy(), OTHER);
    return policyOf(launcher!) === BATCH ? true : undefined;
  }, { ms: 10_000 });
});

test('a daemon started as SCHED_BATCH keeps it for its launchers and its servers, and never switches them', { timeout: 30_000 }, async (t) => {
  // SCHED_BATCH rather than SCHED_IDLE: an idle-policy daemon starves while other tests load the CPUs.
  const { d, serverPolicy } = await policyDaemon({}, ['chrt', '--batch', '0']);
  t.after(() => d.stop());
  assert.equal(policyOf(d.child.pid!), BATCH, 'chrt execs the daemon');
  assert.equal(await serverPolicy(), BATCH);
  const launchers = launchersOf(d.child.pid!);
  assert.ok(launchers.length > 0);
  for (const pid of launchers) assert.equal(policyOf(pid), BATCH);

  // The rule itself: nothing to follow unless the daemon runs as SCHED_OTHER.
  const rule = `import('${CORE_DIST}/launcher/launcher-scheduling.js').then((m) => console.log(m.LauncherScheduling.create() === undefined ? 'left alone' : 'following'))`;
  const asIs = (cmd: readonly string[]) => execFileSync(cmd[0]!, [...cmd.slice(1), process.execPath, '--input-type=module', '-e', rule], { encoding: 'latin1' }).trim();
  assert.equal(asIs(['chrt', '--batch', '0']), 'left alone');
  assert.equal(asIs(['chrt', '--other', '0']), 'following');
});
