import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkJson, runCli } from '../helpers/cli.js';
import { ROOT, tempDir } from '../helpers/daemon.js';

function conf(text: string, name = 'xinetd.conf'): string {
  const dir = tempDir();
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const svc = (name: string, body: string) => `service ${name}\n{\n${body}\n}\n`;
const UNLISTED = (port: number, extra = '') => `\ttype = UNLISTED\n\tport = ${port}\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n\tserver = /bin/cat\n${extra}`;

test("Debian's stock /etc/xinetd.conf and xinetd.d files are accepted unchanged (every service disabled)", async () => {
  const dir = tempDir();
  cpSync(join(ROOT, 'test/fixtures/conf/debian'), dir, { recursive: true });
  const { code, json } = await checkJson(join(dir, 'xinetd.conf'));
  assert.equal(code, 0, JSON.stringify(json.diagnostics));
  assert.equal(json.ok, true);
  assert.equal(json.services.filter((s) => s.status === 'active').length, 0);
  assert.ok(json.services.length >= 15, 'every entry is listed as disabled');
  assert.ok(json.services.every((s) => s.status === 'disabled'));
});

test('a syntax error drops only its service and names file:line; check exits 1', async () => {
  const file = conf(svc('good', UNLISTED(7101)) + svc('bad', '\ttype = UNLISTED\n\tport=7102\n\tsocket_type = stream'));
  const { code, json } = await checkJson(file);
  assert.equal(code, 1);
  const d = json.diagnostics.find((x) => /Attribute port needs a space before operator/.test(x.message));
  assert.ok(d, JSON.stringify(json.diagnostics));
  // `good` takes lines 1-10; `bad` starts at 11 and its broken line is 14.
  assert.deepEqual(d.at, { file, line: 14 });
  assert.equal(json.services.find((s) => s.name === 'good')?.status, 'active');
  assert.equal(json.services.find((s) => s.name === 'bad')?.status, 'error');
});

test('socket_type and protocol that do not go together drop the service (xinetd fails at socket creation)', async () => {
  const file = conf(
    svc('su', '\ttype = UNLISTED\n\tport = 7106\n\tsocket_type = stream\n\tprotocol = udp\n\twait = no\n\tuser = nobody\n\tserver = /bin/cat') +
    svc('dt', '\ttype = UNLISTED\n\tport = 7107\n\tsocket_type = dgram\n\tprotocol = tcp\n\twait = yes\n\tuser = nobody\n\tserver = /bin/cat') +
    svc('ok', UNLISTED(7108)),
  );
  const { code, json } = await checkJson(file);
  assert.equal(code, 1);
  const m = json.diagnostics.map((d) => d.message);
  assert.ok(m.some((x) => x.startsWith('socket creation failed (Protocol not supported (errno = 93)). service = su')), m.join('\n'));
  assert.ok(m.some((x) => x.startsWith('socket creation failed (Protocol not supported (errno = 93)). service = dt')), m.join('\n'));
  assert.deepEqual(json.services.filter((s) => s.status === 'active').map((s) => s.name), ['ok']);
});

test('an unknown attribute is a warning and the service still starts', async () => {
  const file = conf(svc('w', UNLISTED(7103, '\tmdns = yes')));
  const { code, json } = await checkJson(file);
  assert.equal(code, 0);
  assert.ok(json.diagnostics.some((d) => d.level === 'warning' && d.message === 'bad service attribute: mdns' && d.at?.line === 9));
  assert.equal(json.services[0]?.status, 'active');
});

test('a bad value disables only its service, with the parser message and DISABLING SERVICE', async () => {
  const file = conf(svc('v', UNLISTED(7104, '\tumask = 999')) + svc('ok', UNLISTED(7105)));
  const { code, json } = await checkJson(file);
  assert.equal(code, 1);
  assert.ok(json.diagnostics.some((d) => d.message === 'umask argument is invalid.' && d.at?.line === 9));
  assert.ok(json.diagnostics.some((d) => d.message === 'Error parsing attribute umask - DISABLING SERVICE'));
  assert.deepEqual(json.services.map((s) => [s.name, s.status]), [['ok', 'active'], ['v', 'error']]);
});

test('defaults merge by position: list attributes are copied when a service starts; others at the end', async () => {
  const file = conf([
    svc('before', UNLISTED(7106)),
    'defaults\n{\n\tlog_on_success = PID HOST\n\tumask = 027\n}\n',
    svc('after', UNLISTED(7107, '\tlog_on_success += EXIT\n\tlog_on_success -= HOST')),
    svc('replaced', UNLISTED(7108, '\tlog_on_success = DURATION')),
  ].join(''));
  const { code, json } = await checkJson(file);
  assert.equal(code, 0, JSON.stringify(json.diagnostics));
  const attrs = (name: string) => json.services.find((s) => s.name === name)!.attributes!;
  // log_on_* are also filled at the end for services that never mentioned them (xinetd 1.5).
  assert.deepEqual(attrs('before').log_on_success, ['PID', 'HOST']);
  assert.equal(attrs('before').umask, 0o27);
  assert.deepEqual(attrs('after').log_on_success, ['PID', 'EXIT']);
  assert.deepEqual(attrs('replaced').log_on_success, ['DURATION']);
});

test('a service before defaults does not inherit position-copied lists (passenv)', async () => {
  const file = conf([
    svc('early', UNLISTED(7109)),
    'defaults\n{\n\tpassenv = PATH\n}\n',
    svc('late', UNLISTED(7110)),
  ].join(''));
  const { json } = await checkJson(file);
  const attrs = (name: string) => json.services.find((s) => s.name === name)!.attributes!;
  assert.equal(attrs('early').passenv, undefined);
  assert.deepEqual(attrs('late').passenv, ['PATH']);
});

test('CRLF line endings, tabs, trailing blanks, a stray } and no final newline parse', async () => {
  // The stray } comes last: before an entry it takes that entry with it, as in xinetd.
  const file = conf('service crlf\r\n{\r\n\ttype\t=\tUNLISTED   \r\n\tport = 7111\r\n\tsocket_type = stream\r\n\twait = no\r\n\tuser = nobody\r\n\tserver = /bin/cat\r\n}   \r\n}');
  const { json } = await checkJson(file);
  assert.equal(json.services[0]?.status, 'active', JSON.stringify(json));
  assert.equal(json.services[0]?.port, 7111);
});

test('/etc/services supplies the port; a mismatch and an unknown name are reported', async () => {
  const file = conf(
    svc('telnet', '\tsocket_type = stream\n\twait = no\n\tuser = nobody\n\tserver = /bin/cat') +
    svc('ftp', '\tsocket_type = stream\n\tport = 2121\n\twait = no\n\tuser = nobody\n\tserver = /bin/cat') +
    svc('no-such-service-name', '\tsocket_type = stream\n\twait = no\n\tuser = nobody\n\tserver = /bin/cat'),
  );
  const { json } = await checkJson(file);
  assert.equal(json.services.find((s) => s.name === 'telnet')?.port, 23);
  assert.equal(json.services.find((s) => s.name === 'telnet')?.protocol, 'tcp');
  assert.ok(json.diagnostics.some((d) => d.message === 'Service ftp expects port 21, not 2121'));
  assert.ok(json.diagnostics.some((d) => d.message === "Port not specified and can't find service: no-such-service-name with getservbyname"));
});

test('required attributes, server checks, RPC and duplicate binds are reported per service', async () => {
  const notExec = join(tempDir(), 'not-executable');
  writeFileSync(notExec, '#!/bin/sh\n', { mode: 0o644 });
  const file = conf(
    svc('nowait', '\ttype = UNLISTED\n\tport = 7112\n\tsocket_type = stream\n\tuser = nobody\n\tserver = /bin/cat') +
    svc('noserver', '\ttype = UNLISTED\n\tport = 7113\n\tsocket_type = stream\n\twait = no\n\tuser = nobody') +
    svc('notexec', `\ttype = UNLISTED\n\tport = 7114\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n\tserver = ${notExec}`) +
    svc('rpcsvc', '\ttype = RPC UNLISTED\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n\tserver = /bin/cat') +
    svc('one', UNLISTED(7115, '\tbind = 127.0.0.1')) +
    svc('two', UNLISTED(7115, '\tbind = 127.0.0.1')),
  );
  const { code, json } = await checkJson(file);
  assert.equal(code, 1);
  const m = json.diagnostics.map((d) => d.message);
  assert.ok(m.includes('Service nowait missing attribute wait - DISABLING'), m.join('\n'));
  assert.ok(m.includes('Must specify a server in noserver'));
  assert.ok(m.some((x) => x === `Server ${notExec} is not executable`));
  assert.ok(m.includes('Service rpcsvc missing attribute rpc_number - DISABLING'), m.join('\n'));
  assert.ok(m.includes('service: two id: two is unique but its identical to service: one id: one - DISABLING'));
  assert.deepEqual(json.services.filter((s) => s.status === 'active').map((s) => s.name), ['one']);
});

test('every missing core attribute is named in xinetd\'s order; an unknown protocol is a value error at its line', async () => {
  const file = conf(
    svc('bare', '\ttype = UNLISTED\n\tport = 7120\n\tuser = nobody\n\tserver = /bin/cat') +
    svc('echo', '\ttype = INTERNAL UNLISTED\n\tport = 7121\n\twait = no') +
    svc('proto', '\ttype = UNLISTED\n\tport = 7122\n\tsocket_type = stream\n\tprotocol = bogus\n\twait = no\n\tuser = nobody\n\tserver = /bin/cat'),
  );
  const { json } = await checkJson(file);
  const m = json.diagnostics.map((d) => `${d.at?.line ?? '-'} ${d.message}`);
  assert.deepEqual(m.filter((x) => /bare|echo|protocol|proto/.test(x)), [
    '19 Protocol bogus not in /etc/protocols',
    '19 Error parsing attribute protocol - DISABLING SERVICE',
    '1 Service bare missing attribute wait - DISABLING',
    '1 Service bare missing attribute socket_type - DISABLING',
    '1 Service bare missing attribute protocol - DISABLING',
    '8 No such internal service: echo/Unknown socket type - DISABLING',
  ]);
});

test('enabled and disabled in defaults select services by id; disable = yes hides an entry silently', async () => {
  const file = conf([
    'defaults\n{\n\tdisabled = b-id\n\tenabled = a c\n}\n',
    svc('a', UNLISTED(7116)),
    svc('b', UNLISTED(7117, '\tid = b-id')),
    svc('c', UNLISTED(7118, '\tdisable = yes\n\tgarbage after disable')),
    svc('d', UNLISTED(7119)),
  ].join(''));
  const { code, json } = await checkJson(file);
  assert.equal(code, 0, JSON.stringify(json.diagnostics));
  assert.deepEqual(json.services.filter((s) => s.status === 'active').map((s) => s.name), ['a']);
});

test('a value error in defaults is fatal for the whole configuration', async () => {
  const file = conf('defaults\n{\n\tlog_on_failure = RECORD\n}\n' + svc('a', UNLISTED(7120)));
  const { code, json } = await checkJson(file);
  assert.equal(code, 1);
  assert.ok(json.diagnostics.some((d) => d.message === 'Bad log_on_failure flag: RECORD' && d.at?.line === 3));
});

test('the human-readable check prints a table and the effective attributes', async () => {
  const file = conf(svc('table', UNLISTED(7121, '\tserver_args = -u')));
  const r = await runCli(['check', '-f', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^SERVICE\s+ID\s+STATUS/m);
  assert.match(r.stdout, /^table\s+table\s+active\s+stream\s+tcp\s+7121\s+no/m);
  assert.match(r.stdout, /^\s+server_args = -u$/m);
});

test('UNLIMITED values are shown as UNLIMITED, in the table and in JSON', async () => {
  const file = conf(svc('u', UNLISTED(7122, '\trlimit_stack = UNLIMITED\n\tinstances = UNLIMITED')));
  const r = await runCli(['check', '-f', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\s+rlimit_stack = UNLIMITED$/m);
  const { json } = await checkJson(file);
  assert.equal(json.services[0]?.attributes?.rlimit_stack, 'UNLIMITED');
});

test('rlimit values are read as xinetd reads them: 64-bit, a sign allowed, an overflow invalid (named without its suffix)', async () => {
  const file = conf(
    svc('wrap', UNLISTED(7123, '\trlimit_cpu = -0\n\trlimit_as = -1')) +
    svc('big', UNLISTED(7124, '\trlimit_data = 17592186044415M')) +
    svc('over', UNLISTED(7125, '\trlimit_as = 18446744073709551616')) +
    svc('overm', UNLISTED(7126, '\trlimit_stack = 17592186044416M')),
  );
  const { json } = await checkJson(file);
  assert.deepEqual(json.services.map((s) => [s.name, s.status]), [['wrap', 'active'], ['big', 'active'], ['over', 'error'], ['overm', 'error']]);
  assert.equal(json.services[0]?.attributes?.rlimit_as, 'UNLIMITED');
  assert.equal(json.services[1]?.attributes?.rlimit_data, '18446744073708503040');
  assert.ok(json.diagnostics.some((d) => d.message === 'Address space limit is invalid: 18446744073709551616'), JSON.stringify(json.diagnostics));
  assert.ok(json.diagnostics.some((d) => d.message === 'Stack limit is invalid: 17592186044416'), JSON.stringify(json.diagnostics));
});

test('structured JSON and YAML configurations give the same services as the classic file', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'x.json'), JSON.stringify({
    defaults: { log_on_success: 'PID HOST' },
    services: { js: { type: 'UNLISTED', port: 7122, socket_type: 'stream', wait: false, user: 'nobody', server: '/bin/cat', server_args: ['two words'] } },
  }));
  writeFileSync(join(dir, 'x.yaml'), 'defaults:\n  log_on_success: PID HOST\nservices:\n  js:\n    type: UNLISTED\n    port: 7122\n    socket_type: stream\n    wait: no\n    user: nobody\n    server: /bin/cat\n    server_args: ["two words"]\n');
  for (const name of ['x.json', 'x.yaml']) {
    const { code, json } = await checkJson(join(dir, name));
    assert.equal(code, 0, `${name}: ${JSON.stringify(json.diagnostics)}`);
    assert.equal(json.services[0]?.port, 7122);
    assert.deepEqual(json.services[0]?.attributes?.server_args, ['two words']);
    assert.deepEqual(json.services[0]?.attributes?.log_on_success, ['PID', 'HOST']);
  }
});

test("Debian's xinetd.d files switched on (disable = no) give active internal services, and servers/services warn", async () => {
  const dir = tempDir();
  cpSync(join(ROOT, 'test/fixtures/conf/debian'), dir, { recursive: true });
  const d = join(dir, 'xinetd.d');
  for (const name of readdirSync(d)) {
    const file = join(d, name);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/disable(\s*)=(\s*)yes/g, 'disable$1=$2no'));
  }
  const { code, json } = await checkJson(join(dir, 'xinetd.conf'));
  assert.equal(code, 0, JSON.stringify(json.diagnostics));
  const active = json.services.filter((s) => s.status === 'active').map((s) => s.id).sort();
  for (const id of ['chargen-dgram', 'chargen-stream', 'daytime-dgram', 'daytime-stream', 'discard-dgram', 'discard-stream', 'echo-dgram', 'echo-stream', 'time-dgram', 'time-stream', 'servers', 'services']) {
    assert.ok(active.includes(id), `${id} active: ${active.join(' ')}`);
  }
  assert.deepEqual(json.services.find((s) => s.id === 'echo-stream')?.port, 7);
  assert.ok(json.diagnostics.some((x) => x.level === 'warning' && /servers/.test(x.message)), JSON.stringify(json.diagnostics));
});

test('without -f, cosmiconfig finds the configuration in the current directory (package.json key, .xinetd-tsrc.yaml)', async () => {
  const service = { type: 'UNLISTED', port: 7123, socket_type: 'stream', wait: 'no', user: 'nobody', server: '/bin/cat' };
  const pkgDir = tempDir();
  writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name: 'site', 'xinetd-ts': { services: { frompkg: service } } }));
  const rcDir = tempDir();
  writeFileSync(join(rcDir, '.xinetd-tsrc.yaml'), 'services:\n  fromrc:\n    type: UNLISTED\n    port: 7124\n    socket_type: stream\n    wait: no\n    user: nobody\n    server: /bin/cat\n');
  for (const [cwd, name] of [[pkgDir, 'frompkg'], [rcDir, 'fromrc']] as const) {
    const r = await runCli(['check', '--json'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { services: { name: string; status: string }[] };
    assert.deepEqual(json.services.map((s) => [s.name, s.status]), [[name, 'active']]);
  }
});

test('check shows values that hold a bigint or UNLIMITED at any depth (fuzz: an IPv6 only_from crashed it, text and --json)', async () => {
  const file = conf(svc('v6', UNLISTED(7103, '\tonly_from = ::1 10.0.0.0/8\n\tper_source = UNLIMITED /64\n')));
  const { code, json, stderr } = await checkJson(file);
  assert.equal(stderr, '');
  assert.equal(code, 0, JSON.stringify(json.diagnostics));
  const attributes = json.services[0]?.attributes as { only_from: { entries: { text: string; net: unknown }[] }; per_source: { max: unknown } };
  // The IPv6 network, a bigint, as a decimal string; the IPv4 one is a number.
  assert.deepEqual(attributes.only_from.entries.map((e) => [e.text, e.net]), [['::1', '1'], ['10.0.0.0/8', 10 * 2 ** 24]]);
  assert.equal(attributes.per_source.max, 'UNLIMITED');
  const text = await runCli(['check', '-f', file]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /only_from = \{"entries":\[\{"kind":"v6","net":"1"/);
});
