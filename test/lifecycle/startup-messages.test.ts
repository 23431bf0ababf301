// What the daemon writes to its -filelog at start-up, in xinetd's levels and words, found by
// running xinetd 2.3.15 and xinetd-ts side by side on the same files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { CLI, startDaemon, tempDir } from '../helpers/daemon.js';
import { tryConnect } from '../helpers/e2e.js';
import { exchange, freePort } from '../helpers/net.js';
import { waitForLine } from '../helpers/wait.js';

const internal = (name: string, port: number, extra = '') =>
  `service ${name}\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\tport = ${port}\n\twait = no\n${extra}}\n`;

test('a value error in defaults: its cause and line are logged before the fatal message, exit 1', async () => {
  const dir = tempDir();
  const conf = join(dir, 'xinetd.conf');
  const messages = join(dir, 'messages.log');
  writeFileSync(conf, `defaults\n{\n\tinstances = abc\n}\n${internal('echo', await freePort())}`);
  const r = await runCli(['-dontfork', '-f', conf, '-filelog', messages]);
  assert.equal(r.code, 1);
  const lines = readFileSync(messages, 'utf8').split('\n');
  const cause = lines.findIndex((l) => /ERROR: .*abc \[file=.*xinetd\.conf\] \[line=3\]$/.test(l));
  const fatal = lines.findIndex((l) => / ERROR: A fatal error was encountered while parsing the default section\./.test(l));
  // xinetd writes nothing between the two (no `Error parsing attribute` line for defaults).
  assert.ok(cause >= 0 && fatal === cause + 1, lines.join('\n'));
  assert.ok(!lines.some((l) => /Started working/.test(l)));
});

test('a host name in the defaults\' bind that does not resolve is a value error of defaults: fatal, not a service error', async () => {
  const dir = tempDir();
  const conf = join(dir, 'xinetd.conf');
  const messages = join(dir, 'messages.log');
  // .invalid never resolves (RFC 6761).
  writeFileSync(conf, `defaults\n{\n\tbind = no-such-host.invalid\n}\n${internal('echo', await freePort())}`);
  const r = await runCli(['-dontfork', '-f', conf, '-filelog', messages]);
  assert.equal(r.code, 1);
  const lines = readFileSync(messages, 'utf8').split('\n');
  const cause = lines.findIndex((l) => /ERROR: bad address \[file=.*xinetd\.conf\] \[line=3\]$/.test(l));
  const fatal = lines.findIndex((l) => / ERROR: A fatal error was encountered while parsing the default section\./.test(l));
  assert.ok(cause >= 0 && fatal === cause + 1, lines.join('\n'));
  assert.ok(!lines.some((l) => /Started working|DISABLING SERVICE/.test(l)), lines.join('\n'));
});

test('a configuration file that cannot be read is reported in the -filelog too, exit 1', async () => {
  const dir = tempDir();
  const messages = join(dir, 'messages.log');
  const r = await runCli(['-dontfork', '-f', join(dir, 'missing.conf'), '-filelog', messages]);
  assert.equal(r.code, 1);
  const text = readFileSync(messages, 'utf8');
  assert.match(text, /ERROR: XI_ERR_CONFIG_UNREADABLE: .*missing\.conf/);
  assert.match(text, /CRITICAL: couldn't get configuration\. Exiting\.\.\./);
  assert.match(r.stderr, /missing\.conf/);
});

test('relative -filelog and -pidfile name files in the directory the daemon was started from', async () => {
  const dir = tempDir();
  const port = await freePort();
  // A SENSOR service and a spawned one: the configuration that showed the log landing in /.
  writeFileSync(join(dir, 'rel.conf'), internal('echo', port) +
    `service cat\n{\n\ttype = UNLISTED\n\tsocket_type = stream\n\tport = ${await freePort()}\n\twait = no\n\tuser = nobody\n\tserver = /bin/cat\n}\n` +
    `service daytime\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\tport = ${await freePort()}\n\twait = no\n\tflags = SENSOR\n\tdeny_time = 1\n}\n`);
  const child = spawn(process.execPath, [CLI, '-dontfork', '-f', 'rel.conf', '-filelog', 'rel-messages.log', '-pidfile', 'rel.pid'], { cwd: dir, stdio: 'ignore' });
  try {
    await waitForLine(join(dir, 'rel-messages.log'), /Started working: 3 available services/, 15_000);
    // The version line keeps xinetd's `started with ... options compiled in.` shape.
    await waitForLine(join(dir, 'rel-messages.log'), /NOTICE: xinetd-ts \S+ started with libwrap loadavg options compiled in\.$/, 1000);
    assert.equal(readFileSync(join(dir, 'rel.pid'), 'utf8'), `${child.pid}\n`);
    // After start the daemon works in /; a reload still finds the relative -f file.
    assert.equal((await exchange(port, 'still here\n')).toString(), 'still here\n');
    child.kill('SIGHUP');
    await waitForLine(join(dir, 'rel-messages.log'), /Reconfigured/, 10_000);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  }
  assert.equal(existsSync(join(dir, 'rel.pid')), false, 'the pid file is removed on exit');
});

test('unknown user or group, NAMEINARGS and env -= drop an internal service at the attribute line', async () => {
  const ports = { user: await freePort(), group: await freePort(), args: await freePort(), env: await freePort(), good: await freePort() };
  const d = await startDaemon(
    internal('echo', ports.user, '\tid = bad-user\n\tuser = no-such-user-here\n') +
    internal('echo', ports.group, '\tid = bad-group\n\tgroup = no-such-group-here\n') +
    internal('chargen', ports.args, '\tflags = NAMEINARGS\n') +
    internal('discard', ports.env, '\tenv -= A=1\n') +
    internal('daytime', ports.good),
  );
  try {
    const text = readFileSync(d.messages, 'utf8');
    assert.match(text, /ERROR: Unknown user: no-such-user-here \[file=.*\] \[line=8\]\n.*ERROR: Error parsing attribute user - DISABLING SERVICE \[file=.*\] \[line=8\]/);
    assert.match(text, /ERROR: Unknown group: no-such-group-here \[file=.*\] \[line=17\]/);
    assert.match(text, /ERROR: Service chargen is INTERNAL and has NAMEINARGS flag set/);
    assert.match(text, /WARNING: operator '-=' not supported for env attribute \[file=.*\] \[line=33\]\n.*ERROR: Error parsing attribute env - DISABLING SERVICE/);
    assert.match(text, /Started working: 1 available service$/m);
    // Services dropped for value errors are named in a DEBUG line, without -d, as xinetd does.
    assert.match(text, /DEBUG: removing echo$/m);
    assert.match(text, /DEBUG: removing discard$/m);
  } finally {
    await d.stop();
  }
});

test('a bind name that does not resolve drops the service at the attribute line, as xinetd', async () => {
  const ports = { bad: await freePort(), good: await freePort() };
  // `.invalid` never resolves (RFC 6761); `interface` is the other name of `bind`.
  const d = await startDaemon(internal('echo', ports.bad, '\tinterface = no-such-host.invalid\n') + internal('daytime', ports.good));
  try {
    const text = readFileSync(d.messages, 'utf8');
    assert.match(text, /ERROR: bad address \[file=.*\] \[line=7\]\n.*ERROR: Error parsing attribute interface - DISABLING SERVICE \[file=.*\] \[line=7\]\n.*DEBUG: removing echo\n/);
    assert.match(text, /Started working: 1 available service$/m);
  } finally {
    await d.stop();
  }
});

test('a syntax error drops its entry with the error line only: no `removing` line, unlike a value error', async () => {
  const ports = { broken: await freePort(), good: await freePort() };
  const d = await startDaemon(internal('echo', ports.broken, '\tid = broken\n\tprotocol tcp\n') + internal('daytime', ports.good));
  try {
    const text = readFileSync(d.messages, 'utf8');
    assert.match(text, /ERROR: Bad operator for attribute: protocol \[file=.*\] \[line=8\]$/m);
    assert.match(text, /Started working: 1 available service$/m);
    // xinetd drops the entry while parsing; only entries removed after parsing are named.
    assert.doesNotMatch(text, /removing/);
  } finally {
    await d.stop();
  }
});

test('a stray } between entries is `missing service keyword` and loses the next entry, as in xinetd', async () => {
  // An xinetd.d file with one `}` too many: xinetd 2.3.15 skips from it to the next lone `}`,
  // so the entry after the brace never runs; it must not start listening after a migration.
  const ports = { before: await freePort(), lost: await freePort(), after: await freePort() };
  const file = internal('echo', ports.before) + '}\n\n# the next entry\n' + internal('daytime', ports.lost) + internal('chargen', ports.after);
  const d = await startDaemon((p) => `includedir ${p.dir}/xinetd.d\n`, { files: { 'xinetd.d/services': file } });
  try {
    const text = readFileSync(d.messages, 'utf8');
    assert.match(text, /ERROR: missing service keyword \[file=.*xinetd\.d\/services\] \[line=8\]$/m);
    assert.match(text, /Started working: 2 available services$/m);
    assert.equal(await tryConnect(ports.lost, '127.0.0.1'), 'ECONNREFUSED');
    assert.equal((await exchange(ports.before, 'still here\n')).toString(), 'still here\n');
    assert.equal(await tryConnect(ports.after, '127.0.0.1'), 'connected');
  } finally {
    await d.stop();
  }
});

test('a stray } at the end of a file adds `missing } in last service entry`, as in xinetd', async () => {
  const port = await freePort();
  const d = await startDaemon((p) => `include ${p.dir}/echo\n`, { files: { echo: internal('echo', port) + '}\n' } });
  try {
    const text = readFileSync(d.messages, 'utf8');
    assert.match(text, /ERROR: missing service keyword \[file=.*\/echo\] \[line=8\]\n.*WARNING: missing \} in last service entry \[file=.*\/echo\] \[line=8\]$/m);
    assert.match(text, /Started working: 1 available service$/m);
  } finally {
    await d.stop();
  }
});

test('an only_from token that does not parse is an ERROR, as in xinetd; the rest of the list applies', async () => {
  // A wildcard as hosts.allow would take it: xinetd 2.3.15 logs `ERROR: failed to parse 10.0.0.*`
  // (syslog priority err, where log filters look) and keeps 127.0.0.1.
  const port = await freePort();
  const d = await startDaemon(internal('echo', port, '\tonly_from = 127.0.0.1 10.0.0.* 10.0.0.1-10.0.0.9\n'));
  try {
    assert.match(readFileSync(d.messages, 'utf8'), /ERROR: failed to parse 10\.0\.0\.\* \[file=.*\] \[line=7\]$/m);
    // An address range is no host name: xinetd cannot resolve it either.
    assert.match(readFileSync(d.messages, 'utf8'), /ERROR: failed to parse 10\.0\.0\.1-10\.0\.0\.9 \[file=.*\] \[line=7\]$/m);
    assert.equal((await exchange(port, 'allowed\n')).toString(), 'allowed\n');
  } finally {
    await d.stop();
  }
});

test('includedir: a sub-directory and a dangling link are ERRORs in xinetd words; the other files are read', async () => {
  // /etc/xinetd.d with an `old/` directory kept by hand and a link left by a removed package.
  const port = await freePort();
  const d = await startDaemon((p) => {
    mkdirSync(join(p.dir, 'xinetd.d', 'old'), { recursive: true });
    symlinkSync(join(p.dir, 'removed-package-file'), join(p.dir, 'xinetd.d', 'nrpe'));
    return `includedir ${p.dir}/xinetd.d\n`;
  }, { files: { 'xinetd.d/echo': internal('echo', port) } });
  try {
    const text = readFileSync(d.messages, 'utf8');
    assert.match(text, /ERROR: Unable to stat includedir file .*\/xinetd\.d\/nrpe \[file=.*\/xinetd\.conf\] \[line=1\]$/m);
    // xinetd names no file:line for this one (the message names the file).
    assert.match(text, /ERROR: .*\/xinetd\.d\/old is not a regular file\. It is being skipped\.$/m);
    assert.match(text, /Started working: 1 available service$/m);
  } finally {
    await d.stop();
  }
});

test('configuration messages come in the files\' order, an included file\'s between the entries around its include', async () => {
  const ports = [await freePort(), await freePort()];
  const d = await startDaemon((p) => `${internal('echo', ports[0]!, '\tinstances = many\n')}includedir ${p.dir}/xinetd.d\n` +
    internal('daytime', ports[1]!, '\tno_such_attribute = 1\n'), { files: { 'xinetd.d/chargen': internal('chargen', 1, '\tinstances = lots\n') } });
  try {
    const text = readFileSync(d.messages, 'utf8');
    const order = [/Number of instances is invalid: many/, /Reading included configuration file: .*xinetd\.d\/chargen/,
      /Number of instances is invalid: lots/, /bad service attribute: no_such_attribute/, /Started working: 1 available service$/]
      .map((pattern) => text.split('\n').findIndex((l) => pattern.test(l)));
    assert.ok(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!)), text);
  } finally {
    await d.stop();
  }
});

test('an included file is named in a DEBUG line of the -filelog without -d', async () => {
  const port = await freePort();
  const d = await startDaemon((p) => `include ${p.dir}/more.conf\n`, { files: { 'more.conf': internal('echo', port) } });
  try {
    await d.waitForMessage(/DEBUG: Reading included configuration file: .*more\.conf/, 1000);
  } finally {
    await d.stop();
  }
});

test('check shows a structured value (log_type) as JSON, not [object Object]', async () => {
  const dir = tempDir();
  const conf = join(dir, 'xinetd.conf');
  writeFileSync(conf, `defaults\n{\n\tlog_type = FILE ${dir}/svc.log\n}\n${internal('echo', 7122)}`);
  const r = await runCli(['check', '-f', conf]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^  log_type = \\{"kind":"file","path":"${dir}/svc\\.log"\\}$`, 'm'));
});
