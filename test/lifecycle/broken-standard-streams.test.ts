// The daemon's stdout or stderr is a pipe whose reader goes away (`-filelog /dev/stdout | head`,
// a supervisor's log pipe that closed). xinetd ignores SIGPIPE and keeps serving; xinetd-ts
// died of the unhandled EPIPE.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Readable } from 'node:stream';
import { CLI, tempDir } from '../helpers/daemon.js';
import { exchange, freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

const daytime = (port: number) =>
  `service daytime\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n}\n`;

/** Everything a pipe has carried so far, as text. */
function collect(stream: Readable): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

test('-filelog /dev/stdout into a pipe that closes: the daemon keeps serving and says so on stderr', async () => {
  const dir = tempDir();
  const port = await freePort();
  const conf = join(dir, 'xinetd.conf');
  // Every connection writes a START record to the same broken stdout.
  writeFileSync(conf, `defaults\n{\n\tlog_type = FILE /dev/stdout\n\tlog_on_success = PID HOST\n}\n${daytime(port)}`);
  const child = spawn(process.execPath, [CLI, '-dontfork', '-f', conf, '-filelog', '/dev/stdout'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const stdout = collect(child.stdout!);
    const stderr = collect(child.stderr!);
    await waitFor('Started working on stdout', () => /Started working/.test(stdout()) || undefined, { ms: 15_000 });
    child.stdout!.destroy(); // the reader goes away
    for (let i = 0; i < 5; i++) assert.match((await exchange(port)).toString(), /\d{4}/);
    await waitFor('the loss said on stderr', () => /cannot write stdout \(EPIPE\): its messages are dropped/.test(stderr()) || undefined, { ms: 5000 });
    assert.equal(child.exitCode, null, stderr());
    // A reload writes more messages to the broken stream; the service is still there after it.
    child.kill('SIGHUP');
    await waitFor('daytime after the reload', async () => /\d{4}/.test((await exchange(port)).toString()) || undefined, { ms: 10_000 });
    assert.equal(child.exitCode, null, stderr());
    assert.equal(stderr().match(/cannot write stdout/g)?.length, 1, 'said once');
  } finally {
    await stop(child);
  }
});

test('foreground messages to a stderr pipe that closes: the daemon keeps serving', async () => {
  const dir = tempDir();
  const [port, added] = [await freePort(), await freePort()];
  const conf = join(dir, 'xinetd.conf');
  writeFileSync(conf, daytime(port));
  const child = spawn(process.execPath, [CLI, '-dontfork', '-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const stderr = collect(child.stderr!);
    await waitFor('Started working on stderr', () => /Started working/.test(stderr()) || undefined, { ms: 15_000 });
    child.stderr!.destroy();
    // A reload that adds a service: its messages (Swapping defaults, Reconfigured) go to the
    // broken stderr; the added service answering shows the reload, and so its messages, done.
    writeFileSync(conf, daytime(port) + daytime(added).replace('service daytime\n{\n', 'service daytime\n{\n\tid = added\n'));
    child.kill('SIGHUP');
    await waitFor('the added service', async () => /\d{4}/.test((await exchange(added).catch(() => Buffer.alloc(0))).toString()) || undefined, { ms: 10_000 });
    assert.match((await exchange(port)).toString(), /\d{4}/);
    assert.equal(child.exitCode, null);
  } finally {
    await stop(child);
  }
});
