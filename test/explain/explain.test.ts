import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helloService } from '../helpers/access-conf.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';

describe('xinetd-ts explain', () => {
  const dir = tempDir('xinetd-ts-explain-');
  const conf = join(dir, 'xinetd.conf');
  const allow = join(dir, 'hosts.allow');
  const deny = join(dir, 'hosts.deny');
  const env = { ...process.env, XINETD_TS_HOSTS_ALLOW: allow, XINETD_TS_HOSTS_DENY: deny };
  before(() => {
    writeFileSync(conf, helloService('hello', 5998, '\tonly_from = 127.0.0.0/8 .lan.example\n\tno_access = 127.0.0.5\n\tlibwrap = in.hello\n'));
    writeFileSync(allow, '');
    writeFileSync(deny, '# nothing for 127.0.0.2\nin.hello : 127.0.0.6\n');
  });

  it('admitted: exit 0, naming the entries that let the client in, plugin by plugin', async () => {
    const r = await runCli(['explain', 'hello', '127.0.0.2', '--no-name', '-f', conf], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /client ::ffff:127\.0\.0\.2/);
    assert.match(r.stdout, new RegExp(`xinetd-ts:access: only_from 127\\.0\\.0\\.0/8 \\(${conf}:11\\)`));
    assert.match(r.stdout, /xinetd-ts:libwrap: libwrap=in\.hello: no rule in .*hosts\.allow or .*hosts\.deny matches/);
    assert.match(r.stdout, /^admitted$/m);
  });

  it('refused: exit 1 with the deciding rule and file:line (address, then libwrap)', async () => {
    const a = await runCli(['explain', 'hello', '127.0.0.5', '--no-name', '-f', conf], { env });
    assert.equal(a.code, 1);
    assert.match(a.stdout, new RegExp(`refused: address by xinetd-ts:access: only_from 127\\.0\\.0\\.0/8 \\(${conf}:11\\) and no_access 127\\.0\\.0\\.5 \\(${conf}:12\\) match; no_access is more specific`));
    const w = await runCli(['explain', 'hello', '127.0.0.6', '--no-name', '-f', conf], { env });
    assert.equal(w.code, 1);
    assert.match(w.stdout, new RegExp(`refused: libwrap by xinetd-ts:libwrap: libwrap=in\\.hello: ${deny}:2 \\(in\\.hello : 127\\.0\\.0\\.6\\)`));
  });

  it('--name supplies the reverse look-up; --no-name makes it fail', async () => {
    const named = await runCli(['explain', 'hello', '192.0.2.1', '--name', 'pc.lan.example', '-f', conf], { env });
    assert.equal(named.code, 0, named.stdout);
    assert.match(named.stdout, /only_from \.lan\.example/);
    const anonymous = await runCli(['explain', 'hello', '192.0.2.1', '--no-name', '-f', conf], { env });
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stdout, /refused: address by xinetd-ts:access: not in only_from/);
  });

  it('--hosts-allow/--hosts-deny evaluate just those files, like tcpdmatch -d', async () => {
    const r = await runCli(['explain', 'in.hello', '127.0.0.6', '--hosts-allow', allow, '--hosts-deny', deny, '--no-name']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`matched:  ${deny}:2 \\(in\\.hello : 127\\.0\\.0\\.6\\)`));
    assert.match(r.stdout, /access:   denied/);
    const ok = await runCli(['explain', 'in.other', '127.0.0.6', '--hosts-allow', allow, '--hosts-deny', deny, '--no-name']);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /access:   granted/);
  });

  it('usage errors exit 2', async () => {
    for (const args of [['explain', 'hello'], ['explain', 'hello', 'not-an-address', '-f', conf], ['explain', 'nosuch', '127.0.0.1', '-f', conf],
      ['explain', 'in.x', '127.0.0.1', '--hosts-allow', allow]]) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /Usage: xinetd-ts explain/);
    }
  });
});
