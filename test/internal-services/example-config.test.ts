import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from '../helpers/daemon.js';
import { datagram, exchange } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

const PORTS = { echo: 7007, discard: 7009, daytime: 7013, chargen: 7019, time: 7037 };

/** `npm start`'s command line, run from the repository root as the given user. */
async function npmStart(uid: number | undefined) {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  assert.match(script, /-f docs\/examples\/xinetd\.conf/);
  // Leading NAME=VALUE words are the command's environment, as sh takes them.
  const words = script.split(/\s+/);
  const assignments = words.filter((w, i) => words.slice(0, i + 1).every((x) => /^[A-Z_]+=/.test(x)));
  const [cmd, ...args] = words.slice(assignments.length);
  assert.equal(cmd, 'node');
  const env = { ...process.env, ...Object.fromEntries(assignments.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)])) };
  // As `npm start > out 2> err` would: /dev/stdout and /dev/stderr are files the user can open.
  // (Node's 'pipe' stdio is a socket, which /dev/stdout cannot be opened on.)
  const dir = tempDir();
  chmodSync(dir, 0o777);
  const outFile = join(dir, 'out');
  const errFile = join(dir, 'err');
  const [outFd, errFd] = [openSync(outFile, 'a'), openSync(errFile, 'a')];
  // Files the daemon's user owns, as the shell would have created them for that user.
  for (const f of [outFile, errFile]) chownSync(f, uid ?? 0, uid ?? 0);
  const child = spawn(process.execPath, args, { cwd: ROOT, uid, gid: uid, env, stdio: ['ignore', outFd, errFd] });
  closeSync(outFd);
  closeSync(errFd);
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  const out = () => read(outFile);
  const err = () => read(errFile);
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor('Started working', () => (/Started working: 10 available services/.test(err()) ? true : child.exitCode !== null ? Promise.reject(new Error(err())) : undefined), { ms: 15_000 });
  } catch (error) {
    await stop();
    throw error;
  }
  return { out, err, stop };
}

for (const [who, uid] of [['root', undefined], ['a normal user (nobody)', 65534]] as const) {
  test(`npm start serves the five classic services over TCP and UDP, run as ${who}`, async (t) => {
    const d = await npmStart(uid);
    t.after(() => d.stop());
    assert.equal((await exchange(PORTS.echo, 'hi\n')).toString(), 'hi\n');
    assert.equal((await exchange(PORTS.discard, 'x')).length, 0);
    assert.match((await exchange(PORTS.daytime)).toString(), /^\d\d [A-Z]{3} \d{4} \d\d:\d\d:\d\d \S+\r\n$/);
    assert.equal((await exchange(PORTS.time)).length, 4);
    assert.equal((await datagram(PORTS.echo, 'udp')).toString(), 'udp');
    assert.match((await datagram(PORTS.daytime, '\n')).toString(), /\r\n$/);
    assert.equal((await datagram(PORTS.time, 'x')).length, 4);
    assert.equal((await datagram(PORTS.chargen, 'x')).length, 1024);
    // Service records go to standard output.
    await waitFor('START record on stdout', () => (/START: daytime-dgram pid=0 from=127\.0\.0\.1/.test(d.out()) ? true : undefined));
  });
}
