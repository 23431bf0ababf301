/**
 * Bytes that are not UTF-8 reach servers unchanged, as xinetd copies them: in server_args, in
 * env values and in the daemon's own environment (a Latin-1 xinetd.conf, a daemon started in
 * another charset), and in the server's path. Node alone would turn each into U+FFFD.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { fixture, freePorts, loggingDefaults, streamService } from '../helpers/e2e.js';
import { exchange } from '../helpers/net.js';

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
let d: RunningDaemon;
let ports: number[];

before(async () => {
  ports = await freePorts(4);
  const [pArgs, pEnv, pWhole, pPath] = ports;
  const dir = tempDir();
  // A server whose file name is the Latin-1 byte é. Strings below hold one byte per character.
  const rawServer = `${dir}/\xe9.sh`;
  copyFileSync(fixture('args.sh'), latin1(rawServer));
  chmodSync(latin1(rawServer), 0o755);
  // The Latin-1 part of the configuration, in an included file written byte for byte.
  const included = join(dir, 'latin1.conf');
  writeFileSync(included, latin1([
    streamService('raw-args', pArgs!, fixture('args.sh'), ['server_args = \xe9t\xe9 caf\xc3\xa9'], 'root'),
    streamService('raw-env', pEnv!, '/usr/bin/env', ['passenv = XTS_RAW', 'env = L1=\xe9'], 'root'),
    streamService('raw-path', pPath!, rawServer, ['server_args = one'], 'root'),
  ].join('\n')));
  d = await startDaemon(({ log }) => [
    loggingDefaults(log),
    streamService('whole-env', pWhole!, '/usr/bin/env', [], 'root'),
    `include ${included}\n`,
  ].join('\n'), {
    // The daemon's environment gets XTS_RAW=<e9>t<e9> (spawn's env only takes UTF-8 strings).
    wrapper: () => ['sh', '-c', 'XTS_RAW="$(printf \'\\351t\\351\')"; export XTS_RAW; exec "$@"', 'sh'],
  });
});

after(() => d.stop());

test('server_args: Latin-1 bytes and UTF-8 text, each byte as written', async () => {
  assert.deepEqual(await exchange(ports[0]!), latin1('[\xe9t\xe9]\n[caf\xc3\xa9]\n'));
});

test("env values and passenv'd variables of the daemon's environment keep their bytes", async () => {
  const lines = (await exchange(ports[1]!)).toString('latin1').trim().split('\n').sort();
  assert.deepEqual(lines, ['L1=\xe9', 'REMOTE_HOST=::ffff:127.0.0.1', 'XTS_RAW=\xe9t\xe9']);
});

test("without passenv, the daemon's whole environment keeps its bytes", async () => {
  const lines = (await exchange(ports[2]!)).toString('latin1').split('\n');
  assert.ok(lines.includes('XTS_RAW=\xe9t\xe9'), JSON.stringify(lines.filter((l) => l.startsWith('XTS_RAW'))));
});

test('a server path with a Latin-1 byte is found and executed', async () => {
  assert.equal((await exchange(ports[3]!)).toString(), '[one]\n');
});
