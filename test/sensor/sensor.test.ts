import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { helloService, loggingDefaults } from '../helpers/access-conf.js';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { exchange, freePort } from '../helpers/net.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const from = (port: number, localAddress: string) =>
  exchange(port, undefined, { host: localAddress.includes(':') ? '::1' : '127.0.0.1', localAddress }).then((b) => b.toString());

function sensor(id: string, port: number, denyTime: string): string {
  return `service ${id}\n{\n\ttype = UNLISTED\n\tflags = SENSOR\n\tsocket_type = stream\n\tprotocol = tcp\n\twait = no\n\tport = ${port}\n${denyTime ? `\tdeny_time = ${denyTime}\n` : ''}}\n`;
}

describe('SENSOR and deny_time (reference 13)', () => {
  let d: RunningDaemon;
  let trap: number;
  let quick: number;
  let watch: number;
  let hello: number;
  let config: (p: { log: string }) => string;
  before(async () => {
    [trap, quick, watch, hello] = [await freePort(), await freePort(), await freePort(), await freePort()];
    config = ({ log }) => loggingDefaults(log) + sensor('trap', trap, 'FOREVER') + sensor('quick', quick, '1') + sensor('watch', watch, '') + helloService('hello', hello);
    // One "minute" of deny_time lasts 1.5 s in this test.
    d = await startDaemon(config, { env: { ...process.env, XINETD_TS_SENSOR_MINUTE_MS: '1500' } });
  });
  after(() => d.stop());

  it('a client touching the sensor is refused there and by every service; others are not', async () => {
    assert.equal(await from(hello, '127.0.0.2'), 'hello ::ffff:127.0.0.2\n');
    assert.equal(await from(trap, '127.0.0.2'), '');
    await d.waitForMessage(/CRITICAL: Adding ::ffff:127\.0\.0\.2 to the global_no_access list for -1 minutes/);
    await d.waitForLog(/FAIL: trap address from=::ffff:127\.0\.0\.2/);
    assert.equal(await from(hello, '127.0.0.2'), '');
    await d.waitForLog(/FAIL: hello address from=::ffff:127\.0\.0\.2/);
    assert.equal(await from(hello, '127.0.0.3'), 'hello ::ffff:127.0.0.3\n');
    assert.equal(await from(hello, '::1'), 'hello ::1\n');
  });

  it('without deny_time a sensor only refuses and logs', async () => {
    assert.equal(await from(watch, '127.0.0.4'), '');
    await d.waitForLog(/FAIL: watch address from=::ffff:127\.0\.0\.4/);
    assert.equal(await from(hello, '127.0.0.4'), 'hello ::ffff:127.0.0.4\n');
  });

  it('the list survives a reload (SIGHUP)', async () => {
    writeFileSync(join(d.dir, 'xinetd.conf'), config({ log: d.serviceLog }) + '# reloaded\n');
    d.signal('SIGHUP');
    await d.waitForMessage(/Reconfigured: new=0 old=4 dropped=0/);
    assert.equal(await from(hello, '127.0.0.2'), '');
    assert.equal(await from(hello, '127.0.0.3'), 'hello ::ffff:127.0.0.3\n');
  });

  it('a timed entry expires on time', async () => {
    assert.equal(await from(quick, '127.0.0.5'), '');
    await d.waitForMessage(/Adding ::ffff:127\.0\.0\.5 to the global_no_access list for 1 minutes/);
    assert.equal(await from(hello, '127.0.0.5'), '');
    await d.waitForMessage(/INFO: At least 1 DENY_TIME has expired, global_no_access list updated/, 15_000);
    assert.equal(await from(hello, '127.0.0.5'), 'hello ::ffff:127.0.0.5\n');
    assert.equal(await from(hello, '127.0.0.2'), '', 'FOREVER entries stay');
  });
});
