import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helloService, loggingDefaults } from '../helpers/access-conf.js';
import { startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { exchange, freePort } from '../helpers/net.js';
import { tcpdmatch } from '../helpers/tcpdmatch.js';

const from = (port: number, localAddress: string) => exchange(port, undefined, { localAddress }).then((b) => b.toString());

describe('libwrap /file pattern lists on a running daemon', () => {
  let d: RunningDaemon;
  let port: number;
  const files = tempDir('xinetd-ts-wrap-');
  const allow = join(files, 'hosts.allow');
  const deny = join(files, 'hosts.deny');
  const list = join(files, 'list4');
  const nested = join(files, 'list3');
  before(async () => {
    port = await freePort();
    writeFileSync(list, `# 127.0.0.4\n127.0.0.2,127.0.0.5\n127.0.0.6 #127.0.0.7\n127.0.0.3 127.0.0.9, ${nested}\n`);
    writeFileSync(nested, '127.0.0.8\n');
    // Line 2 has no ':': reported at start-up, naming this file and line.
    writeFileSync(allow, `in.hello : ${list}\nin.hello 127.0.0.9\n`);
    writeFileSync(deny, 'ALL : ALL\n');
    d = await startDaemon(({ log }) => loggingDefaults(log) + helloService('hello', port, '\tlibwrap = in.hello\n'),
      { env: { ...process.env, XINETD_TS_HOSTS_ALLOW: allow, XINETD_TS_HOSTS_DENY: deny } });
  });
  after(() => d.stop());

  it('admits and refuses real clients as tcpd reads the file (tokens split on white space only)', async () => {
    // The files are named hosts.allow/hosts.deny in `files`, so tcpdmatch reads the same ones.
    for (const [client, admitted] of [['127.0.0.4', true], ['127.0.0.6', true], ['127.0.0.8', true], ['127.0.0.2', false], ['127.0.0.5', false], ['127.0.0.9', false]] as const) {
      assert.equal(await tcpdmatch(files, 'in.hello', client), admitted, `tcpdmatch for ${client}`);
      assert.equal(await from(port, client), admitted ? `hello ::ffff:${client}\n` : '', client);
      if (!admitted) await d.waitForMessage(new RegExp(`libwrap refused connection to hello \\(libwrap=in\\.hello\\) from ::ffff:${client.replaceAll('.', '\\.')}$`));
    }
  });

  it('reports a bad line of hosts.allow at start-up with that file and line only', async () => {
    const line = await d.waitForMessage(/WARNING: libwrap: missing ":" separator/);
    assert.match(line, new RegExp(`WARNING: libwrap: missing ":" separator \\[file=${allow.replaceAll('.', '\\.')}\\] \\[line=2\\]$`));
    assert.doesNotMatch(readFileSync(d.messages, 'utf8'), /separator.*xinetd\.conf/);
  });
});
