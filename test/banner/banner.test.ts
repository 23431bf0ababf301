import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { helloService, loggingDefaults } from '../helpers/access-conf.js';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { exchange, freePort } from '../helpers/net.js';

const BIG = 8 * 1024 * 1024;
const from = (port: number, localAddress: string) => exchange(port, undefined, { localAddress, ms: 20_000 }).then((b) => b.toString('latin1'));

describe('banner, banner_success, banner_fail (reference 11.6)', () => {
  let d: RunningDaemon;
  let greet: number;
  let full: number;
  let big: number;
  let missing: number;
  before(async () => {
    [greet, full, big, missing] = [await freePort(), await freePort(), await freePort(), await freePort()];
    d = await startDaemon(({ dir, log }) => loggingDefaults(log, `\tbanner = ${dir}/always.txt\n\tbanner_success = ${dir}/ok.txt\n\tbanner_fail = ${dir}/fail.txt\n`) +
      helloService('greet', greet, '\tonly_from = 127.0.0.1\n') +
      helloService('full', full, '\tinstances = 0\n') +
      helloService('big', big, `\tbanner = ${dir}/big.txt\n\tbanner_success = ${dir}/ok.txt\n`) +
      helloService('missing', missing, `\tbanner = ${dir}/nowhere.txt\n`), {
      files: { 'always.txt': 'BANNER-ALWAYS\r\n', 'ok.txt': 'BANNER-OK\r\n', 'fail.txt': 'BANNER-FAIL\r\n', 'big.txt': 'x'.repeat(BIG) },
    });
  });
  after(() => d.stop());

  it('an admitted client gets banner then banner_success before the server\'s first byte', async () => {
    assert.equal(await from(greet, '127.0.0.1'), 'BANNER-ALWAYS\r\nBANNER-OK\r\nhello ::ffff:127.0.0.1\n');
  });

  it('an address refusal and a limit refusal both get banner then banner_fail', async () => {
    assert.equal(await from(greet, '127.0.0.2'), 'BANNER-ALWAYS\r\nBANNER-FAIL\r\n');
    assert.equal(await from(full, '127.0.0.1'), 'BANNER-ALWAYS\r\nBANNER-FAIL\r\n');
    await d.waitForLog(/FAIL: full service_limit/);
  });

  it('an unreadable banner is logged as xinetd logs it and the client is still served', async () => {
    assert.equal(await from(missing, '127.0.0.1'), 'BANNER-OK\r\nhello ::ffff:127.0.0.1\n');
    await d.waitForMessage(/ERROR: service = missing, open of banner .*nowhere\.txt failed/);
  });

  it('a client that never reads a large banner does not hold up anyone else', async () => {
    const stuck = net.connect({ port: big, host: '127.0.0.1' });
    stuck.pause();
    await once(stuck, 'connect');
    try {
      for (let i = 0; i < 3; i++) assert.equal(await from(greet, '127.0.0.1'), 'BANNER-ALWAYS\r\nBANNER-OK\r\nhello ::ffff:127.0.0.1\n');
      const whole = await from(big, '127.0.0.1');
      assert.equal(whole.length, BIG + 'BANNER-OK\r\nhello ::ffff:127.0.0.1\n'.length);
      assert.ok(whole.endsWith('xBANNER-OK\r\nhello ::ffff:127.0.0.1\n'));
    } finally {
      stuck.destroy();
    }
  });
});
