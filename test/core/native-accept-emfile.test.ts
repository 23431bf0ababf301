/**
 * The native accept path when the daemon's descriptor table is full: accept4() fails with
 * EMFILE, the listener reports it (the daemon's limits plugin then switches the service off),
 * stops polling instead of spinning on a readable socket, retries every 100 ms, and the waiting
 * client is served once descriptors are free. Run under a real lowered limit (prlimit).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { ROOT } from '../helpers/daemon.js';
import { exchange } from '../helpers/net.js';

test('native accept: EMFILE is reported, polling pauses (no spin), the client is served when descriptors are free', { timeout: 30_000 }, async () => {
  const child = spawn('prlimit', ['--nofile=64:64', '--', process.execPath, join(ROOT, 'test/fixtures/emfile-listener.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    const first = await lines.next();
    const { port } = JSON.parse(String(first.value)) as { port: number };
    // Connected at the kernel level at once; answered only after the table has room again.
    assert.equal((await exchange(port, undefined, { ms: 10_000 })).toString(), 'hi\n');
    const last = await lines.next();
    const result = JSON.parse(String(last.value)) as { events: string[]; cpuMs: number };
    assert.equal(result.events[0], 'error EMFILE accept');
    assert.equal(result.events.at(-1), 'accepted 127.0.0.1');
    assert.ok(result.events.length <= 8, `few retries, not a loop: ${result.events.length} events`);
    assert.ok(result.cpuMs < 100, `the listener idles while the table is full: ${result.cpuMs} ms of CPU in 300 ms`);
  } finally {
    clearTimeout(timeout);
    child.kill();
  }
});
