/**
 * inetd.conf (reference 17): -inetd_compat reads it after the xinetd configuration (here via
 * the -inetd_file extension, so no test touches /etc), and `itox` converts it for `check`.
 * inetd.conf names are /etc/services names: that is where their ports come from.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkJson, runCli } from '../helpers/cli.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { fixture, freePorts, streamService, tryConnect } from '../helpers/e2e.js';
import { exchange } from '../helpers/net.js';

/** kermit is 1649/tcp in netbase's /etc/services: a port nothing else here uses. */
const KERMIT_PORT = 1649;
/** echo's port: an internal inetd.conf entry is served on its /etc/services port. */
const ECHO_PORT = 7;

test('-inetd_file FILE (implies -inetd_compat): inetd.conf entries are served after the xinetd configuration', async (t) => {
  assert.equal(await tryConnect(KERMIT_PORT, '127.0.0.1', 1000), 'ECONNREFUSED', `port ${KERMIT_PORT} must be free for this test`);
  const [port] = await freePorts(1);
  const inetdConf = join(tempDir(), 'inetd.conf');
  writeFileSync(inetdConf, [
    '# inetd.conf',
    `kermit\tstream\ttcp\tnowait\tnobody\t${fixture('args.sh')}\targs.sh from-inetd`,
    'no-such-service stream tcp nowait nobody /bin/cat cat',
    '',
  ].join('\n'));
  const d = await startDaemon(streamService('native', port!, fixture('args.sh'), ['server_args = native']), { args: ['-inetd_file', inetdConf] });
  t.after(() => d.stop());
  assert.equal((await exchange(port!)).toString(), '[native]\n');
  assert.equal((await exchange(KERMIT_PORT)).toString(), '[from-inetd]\n');
  // xinetd names every entry it took from inetd.conf, even one that fails afterwards.
  assert.match(await d.waitForMessage(/added service kermit/), new RegExp(`DEBUG: added service kermit \\[file=${inetdConf}\\] \\[line=2\\]$`));
  assert.match(await d.waitForMessage(/added service no-such-service/), /DEBUG: added service no-such-service \[file=.*\] \[line=3\]$/);
  const bad = await d.waitForMessage(/ERROR: .*no-such-service/);
  assert.ok(bad.endsWith(`[file=${inetdConf}] [line=3]`), bad);
  assert.match(bad, /ERROR: Port not specified and can't find service: no-such-service with getservbyname/);
  assert.match(await d.waitForMessage(/Started working/), /Started working: 2 available services/);
});

test('libwrap: an internal inetd.conf entry is checked, an external one carries NOLIBWRAP (as in xinetd)', async (t) => {
  // xinetd 2.3.15.3's dump: `flags = IPv6` for `echo ... internal`, `flags = REUSE NAMEINARGS
  // NOLIBWRAP IPv6` for a server; with hosts.deny `echo: ALL` it refuses the internal echo.
  assert.equal(await tryConnect(ECHO_PORT, '127.0.0.1', 1000), 'ECONNREFUSED', `port ${ECHO_PORT} must be free for this test`);
  assert.equal(await tryConnect(KERMIT_PORT, '127.0.0.1', 1000), 'ECONNREFUSED', `port ${KERMIT_PORT} must be free for this test`);
  const [port] = await freePorts(1);
  const dir = tempDir();
  const inetdConf = join(dir, 'inetd.conf');
  writeFileSync(inetdConf, `echo stream tcp nowait root internal\nkermit stream tcp nowait nobody /bin/cat cat\n`);
  writeFileSync(join(dir, 'hosts.allow'), '');
  writeFileSync(join(dir, 'hosts.deny'), 'echo : ALL\ncat : ALL\nkermit : ALL\n');
  const d = await startDaemon(streamService('native', port!, fixture('args.sh'), ['server_args = native']), {
    args: ['-inetd_file', inetdConf],
    env: { ...process.env, XINETD_TS_HOSTS_ALLOW: join(dir, 'hosts.allow'), XINETD_TS_HOSTS_DENY: join(dir, 'hosts.deny') },
  });
  t.after(() => d.stop());
  await d.waitForMessage(/Started working: 3 available services/);
  assert.equal((await exchange(KERMIT_PORT, 'through cat\n')).toString(), 'through cat\n');
  assert.equal((await exchange(ECHO_PORT, 'refused\n')).toString(), '');
  await d.waitForMessage(/INFO: libwrap refused connection to echo-stream \(libwrap=echo\) from ::ffff:127\.0\.0\.1$/);
});

test('itox converts inetd.conf to xinetd.conf text that check accepts', async () => {
  const inetd = [
    '# /etc/inetd.conf',
    'echo\tstream\ttcp\tnowait\tnobody\t/bin/cat\tcat',
    'discard stream tcp nowait nobody.nogroup /usr/sbin/tcpd /bin/cat -u',
    '',
  ].join('\n');
  const r = await runCli(['itox'], { input: inetd });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^service echo\n\{\n/m);
  assert.match(r.stdout, /^\tserver\s+= \/bin\/cat$/m);
  const dir = tempDir();
  const conf = join(dir, 'xinetd.conf');
  writeFileSync(conf, r.stdout);
  const check = await checkJson(conf);
  assert.equal(check.code, 0, JSON.stringify(check.json.diagnostics));
  assert.deepEqual(check.json.services.map((s) => [s.id, s.status, s.port]), [['echo', 'active', 7], ['discard', 'active', 9]]);
});
