import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helloService, loggingDefaults } from '../helpers/access-conf.js';
import { startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { exchange, freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

const from = (port: number, localAddress: string) => exchange(port, undefined, { localAddress }).then((b) => b.toString());
/** Changed hosts files are seen within a second (the daemon re-checks them at most once a second). */
const until = (port: number, localAddress: string, reply: string) =>
  waitFor(`${localAddress} to get ${JSON.stringify(reply)}`, async () => ((await from(port, localAddress)) === reply ? true : undefined), { ms: 5000, everyMs: 100 });

describe('libwrap on a running daemon (private hosts files)', () => {
  let d: RunningDaemon;
  let named: number;
  let plain: number;
  let off: number;
  const files = tempDir('xinetd-ts-wrap-');
  const allow = join(files, 'hosts.allow');
  const deny = join(files, 'hosts.deny');
  before(async () => {
    [named, plain, off] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(allow, '');
    writeFileSync(deny, 'in.hello : 127.0.0.3\nnode : 127.0.0.4\nALL : 127.0.0.9\n');
    d = await startDaemon(({ log }) => loggingDefaults(log) +
      helloService('hello', named, '\tlibwrap = in.hello\n') +
      helloService('plain', plain) +
      helloService('nowrap', off, '\tflags = NOLIBWRAP\n'),
    { env: { ...process.env, XINETD_TS_HOSTS_ALLOW: allow, XINETD_TS_HOSTS_DENY: deny } });
  });
  after(() => d.stop());

  it('refuses as hosts.deny says, logged as xinetd logs it', async () => {
    assert.equal(await from(named, '127.0.0.2'), 'hello ::ffff:127.0.0.2\n');
    assert.equal(await from(named, '127.0.0.3'), '');
    await d.waitForMessage(/INFO: libwrap refused connection to hello \(libwrap=in\.hello\) from ::ffff:127\.0\.0\.3$/);
    await d.waitForLog(/FAIL: hello libwrap from=::ffff:127\.0\.0\.3/);
  });

  it('uses the server basename as the daemon name, and NOLIBWRAP skips the files', async () => {
    assert.equal(await from(plain, '127.0.0.4'), '');
    await d.waitForMessage(/libwrap refused connection to plain \(libwrap=node\) from ::ffff:127\.0\.0\.4/);
    assert.equal(await from(plain, '127.0.0.3'), 'hello ::ffff:127.0.0.3\n');
    assert.equal(await from(off, '127.0.0.9'), 'hello ::ffff:127.0.0.9\n');
  });

  it('re-reads changed files without a reload, and honours the allow option', async () => {
    writeFileSync(deny, 'in.hello : 127.0.0.2\nin.hello : 127.0.0.5 : allow\nALL : ALL\n');
    await until(named, '127.0.0.2', '');
    await d.waitForMessage(/libwrap refused connection to hello \(libwrap=in\.hello\) from ::ffff:127\.0\.0\.2/);
    assert.equal(await from(named, '127.0.0.5'), 'hello ::ffff:127.0.0.5\n');
    writeFileSync(allow, 'in.hello : 127.0.0.6\n');
    await until(named, '127.0.0.6', 'hello ::ffff:127.0.0.6\n');
  });

  it('reports a bad line of a file changed while running, and refuses, logged, while a file cannot be read', async () => {
    const messages = () => readFileSync(d.messages, 'utf8');
    // Connections keep coming (the files are read because of them) until the daemon said it.
    const saysWhileServing = (pattern: RegExp) =>
      waitFor(`${pattern}`, async () => {
        await from(plain, '127.0.0.1').catch(() => '');
        return pattern.test(messages()) ? true : undefined;
      }, { ms: 5000, everyMs: 100 });
    writeFileSync(deny, 'in.hello : 127.0.0.3\nin.hello 127.0.0.8\n');
    await saysWhileServing(/WARNING: libwrap: missing ":" separator \[file=.*hosts\.deny\] \[line=2\]/);
    assert.equal(messages().match(/missing ":" separator/g)?.length, 1, 'reported once');
    // A directory where hosts.allow was: it cannot be read, and libwrap fails closed.
    rmSync(allow);
    mkdirSync(allow);
    await saysWhileServing(/ERROR: libwrap: cannot open .*hosts\.allow.*refusing connections until it can be read/);
    assert.equal(await from(plain, '127.0.0.1'), '', 'refused while the file cannot be read');
    await d.waitForLog(/FAIL: plain libwrap from=::ffff:127\.0\.0\.1/);
    assert.equal(await from(off, '127.0.0.1'), 'hello ::ffff:127.0.0.1\n', 'NOLIBWRAP services are not affected');
    rmSync(allow, { recursive: true });
    writeFileSync(allow, '');
    await until(plain, '127.0.0.1', 'hello ::ffff:127.0.0.1\n');
  });
});
