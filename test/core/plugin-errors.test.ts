/**
 * A third-party plugin's mistakes, loaded from real plugin files listed in a config as a user
 * lists them: a mistake at load time stops the daemon with a coded error naming the line that
 * listed the plugin; a mistake about one service disables that service only; a mistake while a
 * connection runs closes that connection, names the plugin, and the daemon serves on.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { waitForLines } from '../helpers/e2e.js';
import { readLines } from '../helpers/wait.js';
import { startDaemon } from '../helpers/daemon.js';
import { exchange, freePort } from '../helpers/net.js';
import { pluginProject } from '../helpers/plugin-project.js';

const plugin = (name: string, apply: string) =>
  `import { definePlugin, refuse } from 'xinetd-ts';\nexport default definePlugin(() => ({ name: '${name}', apply(daemon) { ${apply} } }));\n`;
const DOC = `doc: { values: 'x', default: 'none', description: 'x' }`;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Start the daemon on a configuration listing the plugin `file` at line 3: it must exit 1 naming that line. Returns its stderr. */
async function failsToLoad(dir: string, file: string): Promise<string> {
  const conf = join(dir, `${file}.conf`);
  writeFileSync(conf, `defaults\n{\n\tplugins = ./${file}\n}\n`);
  const r = await runCli(['-dontfork', '-stayalive', '-f', conf]);
  assert.equal(r.code, 1, `${file}: ${r.stderr}`);
  assert.match(r.stderr, new RegExp(`\\(${escape(conf)}:3\\)`), `${file}: ${r.stderr}`);
  return r.stderr;
}

test('a plugin that fails while loading stops the daemon with a coded error naming the line that listed it', async () => {
  const dir = pluginProject({
    'factory.js': `export default () => { throw new Error('factory boom'); };\n`,
    'apply.js': plugin('apply-throws', `throw new Error('apply boom');`),
    'needs.js': plugin('needs-other', ``).replace(`name: 'needs-other',`, `name: 'needs-other', dependencies: ['not-loaded'],`),
    'arity.js': plugin('bad-arity', `daemon.attributes.define({ name: 'bad_arity', owner: 'bad-arity', arity: 'lots', where: 'both', parse: (v) => v[0], ${DOC} });`),
    'no-parse.js': plugin('no-parse', `daemon.attributes.define({ name: 'no_parse', owner: 'no-parse', arity: 1, where: 'both', ${DOC} });`),
    'nameless.js': `import { defineInternalService } from 'xinetd-ts';\nexport default defineInternalService({ stream: { mode: 'reply', answer: () => 'x' } });\n`,
    'mode.js': `import { defineInternalService } from 'xinetd-ts';\nexport default defineInternalService({ name: 'moody', stream: { mode: 'stream', serve: () => undefined } });\n`,
    'taken.js': plugin('takes-server', `daemon.attributes.define({ name: 'server', owner: 'takes-server', arity: 1, where: 'both', parse: (v) => v[0], ${DOC} });`),
  });
  const cases = [
    ['factory.js', /XI_ERR_PLUGIN_APPLY: plugin \.\/factory\.js: its factory threw: factory boom/],
    ['apply.js', /XI_ERR_PLUGIN_APPLY: plugin apply-throws failed to apply: apply boom/],
    ['needs.js', /XI_ERR_PLUGIN_DEPENDENCY: plugin needs-other needs plugin not-loaded/],
    ['arity.js', /XI_ERR_PLUGIN_APPLY: plugin bad-arity failed to apply: attribute bad_arity: arity must be a positive integer, 'many' or 'list', not lots/],
    ['no-parse.js', /XI_ERR_PLUGIN_APPLY: plugin no-parse failed to apply: attribute no_parse: parse must be a function/],
    ['nameless.js', /XI_ERR_PLUGIN_APPLY: plugin internal-service:undefined failed to apply: defineInternalService: name must be a service name/],
    ['mode.js', /XI_ERR_PLUGIN_APPLY: plugin internal-service:moody failed to apply: defineInternalService: moody: stream mode must be 'session' or 'reply', not stream/],
    ['taken.js', /XI_ERR_ATTRIBUTE_DUPLICATE: attribute server is defined by both xinetd-ts:server and takes-server/],
  ] as const;
  for (const [file, pattern] of cases) assert.match(await failsToLoad(dir, file), pattern);
});

test('a plugin module that fails while being imported: XI_ERR_PLUGIN_IMPORT, with where in the plugin and the line that listed it', async () => {
  const dir = pluginProject({
    'syntax.js': `export default () => ({\n  name: 'broken',\n  apply() { return 1 +; },\n});\n`,
    'throws.js': `const settings = undefined;\nconst port = settings.port;\nexport default () => ({ name: 'throws', apply() {} });\n`,
    'dependency.js': `import 'no-such-xinetd-ts-plugin-dependency';\nexport default () => ({ name: 'dependent', apply() {} });\n`,
    // TypeScript no Node version strips (an enum): the source listed instead of what tsc writes.
    'typed.ts': `enum Mode { On }\nexport default () => ({ name: 'typed', apply() { void Mode.On; } });\n`,
  });
  const cases = [
    ['syntax.js', new RegExp(`SyntaxError: .* at ${escape(join(dir, 'syntax.js'))}:3 `)],
    ['throws.js', new RegExp(`TypeError: Cannot read properties of undefined \\(reading 'port'\\) at ${escape(join(dir, 'throws.js'))}:2:\\d+ `)],
    ['dependency.js', /Cannot find package 'no-such-xinetd-ts-plugin-dependency' imported from /],
    ['typed.ts', /; list the JavaScript file tsc compiles it to \(docs\/plugins\.md\) \(/],
  ] as const;
  for (const [file, pattern] of cases) {
    const stderr = await failsToLoad(dir, file);
    assert.match(stderr, new RegExp(`XI_ERR_PLUGIN_IMPORT: plugin \\./${escape(file)} failed while being imported: `), stderr);
    assert.match(stderr, pattern, stderr);
  }
});

test('a module that is not a plugin: XI_ERR_PLUGIN_SHAPE says what it found', async () => {
  const dir = pluginProject({
    'named.js': `import { definePlugin } from 'xinetd-ts';\nexport const plugin = definePlugin(() => ({ name: 'named', apply() {} }));\n`,
    'async.js': `export default async () => ({ name: 'async', apply() {} });\n`,
    'object.js': `export default { name: 'object', setup() {} };\n`,
    'nothing.js': `export default () => undefined;\n`,
  });
  const cases = [
    ['named.js', 'it has no default export (it exports plugin)'],
    ['async.js', 'its factory returned a Promise: the factory must return the plugin itself (do asynchronous work in a ready tap)'],
    ['object.js', 'its default export is an object without an apply(daemon) function'],
    ['nothing.js', 'its factory returned undefined'],
  ] as const;
  for (const [file, found] of cases) {
    const stderr = await failsToLoad(dir, file);
    assert.match(stderr, new RegExp(`XI_ERR_PLUGIN_SHAPE: plugin \\./${escape(file)} must export a factory returning \\{ name, apply\\(daemon\\) \\} as its default export: ${escape(found)} \\(`), stderr);
  }
});

test('a plugin mistake about one service (a parser that throws, a throwing checkService tap or setup) disables that service only, with file:line', async (t) => {
  const dir = pluginProject({
    'parser.js': plugin('buggy-parser', `daemon.attributes.define({ name: 'buggy', owner: 'buggy-parser', arity: 1, where: 'both', parse: (v) => v[0].nope.trim(), ${DOC} });`),
    'check.js': plugin('buggy-check', `daemon.hooks.checkService.tap('buggy-check', (service) => { if (service.id === 'checked') throw new Error('check boom'); });`),
    'setup.js': `import { defineInternalService } from 'xinetd-ts';\nexport default defineInternalService({ name: 'setupfails', setup: () => { throw new Error('setup boom'); }, stream: { mode: 'reply', answer: () => 'x' } });\n`,
  });
  const [parsed, checked, setup, echo] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const service = (name: string, port: number, extra = '') =>
    `service ${name}\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n\tbind = 127.0.0.1\n${extra}}\n`;
  const d = await startDaemon(({ log }) =>
    `defaults\n{\n\tplugins = ${dir}/parser.js ${dir}/check.js ${dir}/setup.js\n\tlog_type = FILE ${log}\n}\n` +
    service('echo', parsed, '\tid = parsed\n\tbuggy = x\n') + // line 14: buggy = x
    service('echo', checked, '\tid = checked\n') + // line 16: the service entry
    service('setupfails', setup) + // line 25
    service('echo', echo));
  t.after(() => d.stop());
  const conf = escape(join(d.dir, 'xinetd.conf'));
  await d.waitForMessage(new RegExp(`ERROR: attribute buggy \\(plugin buggy-parser\\): its parser threw TypeError: .* \\[file=${conf}\\] \\[line=14\\]$`));
  await d.waitForMessage(new RegExp(`ERROR: checkService failed: check boom \\(plugin buggy-check\\) - DISABLING \\[file=${conf}\\] \\[line=16\\]$`));
  await d.waitForMessage(new RegExp(`ERROR: internal service setupfails: setup threw: setup boom - DISABLING \\[file=${conf}\\] \\[line=25\\]$`));
  await d.waitForMessage(/Started working: 1 available service$/);
  assert.equal((await exchange(echo, 'still here\n')).toString(), 'still here\n');
});

test('a plugin mistake while a connection runs closes that connection, names the plugin, and the daemon serves on', async (t) => {
  const dir = pluginProject({
    'throws.js': plugin('throws', `daemon.hooks.authorize.tap('throws', (conn) => { if (conn.service.id === 'throwing') throw new Error('authorize boom'); });`),
    'false.js': plugin('says-false', `daemon.hooks.authorize.tap('says-false', (conn) => (conn.service.id === 'falsy' ? false : undefined));`),
    'applies.js': plugin('bad-applies', `daemon.hooks.limit.tap({ name: 'bad-applies', applies: (s) => { if (s.id === 'applying') throw new Error('applies boom'); return false; } }, () => undefined);`),
  });
  const [throwing, falsy, applying, echo] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const service = (id: string, port: number) =>
    `service echo\n{\n\tid = ${id}\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n\tbind = 127.0.0.1\n}\n`;
  const d = await startDaemon(({ log }) =>
    `defaults\n{\n\tplugins = ${dir}/throws.js ${dir}/false.js ${dir}/applies.js\n\tlog_type = FILE ${log}\n\tlog_on_success = PID\n\tlog_on_failure = HOST\n}\n` +
    service('throwing', throwing) + service('falsy', falsy) + service('applying', applying) + service('plain', echo));
  t.after(() => d.stop());
  for (const [port, message] of [
    [throwing, /ERROR: throwing: authorize failed: authorize boom \(plugin throws\)$/],
    // false would stop the authorize chain: it is the plugin's error, never a refusal `FAIL: falsy undefined`
    [falsy, /ERROR: falsy: authorize failed: the tap returned false, not undefined or refuse\(code\) \(plugin says-false\)$/],
    [applying, /ERROR: applying: accept failed: its applies\(applying\) threw: applies boom \(plugin bad-applies\)$/],
  ] as const) {
    assert.equal((await exchange(port, 'x\n')).length, 0);
    await d.waitForMessage(message);
  }
  assert.equal((await exchange(echo, 'still here\n')).toString(), 'still here\n');
  assert.equal(d.child.exitCode, null);
  assert.doesNotMatch((await d.logLines()).join('\n'), /undefined/);
});

test('a plugin resolving its own copy of the package still registers its internal service and rejects values by AttributeError', async (t) => {
  const dir = pluginProject({
    'hello.js': `import { defineInternalService } from 'xinetd-ts';\nexport default defineInternalService({ name: 'hello', stream: { mode: 'reply', answer: () => 'hello\\r\\n' } });\n`,
    'strict.js': plugin('strict', `daemon.attributes.define({ name: 'strict_word', owner: 'strict', arity: 1, where: 'both', parse: (v) => { if (v[0] !== 'ok') throw new AttributeError('strict_word must be ok'); return v[0]; }, ${DOC} });`)
      .replace('import { definePlugin, refuse }', 'import { AttributeError, definePlugin, refuse }'),
  }, { ownCopy: true });
  const [hello, strict] = [await freePort(), await freePort()];
  const d = await startDaemon(({ log }) => `defaults\n{\n\tplugins = ${dir}/hello.js ${dir}/strict.js\n\tlog_type = FILE ${log}\n}\n` +
    `service hello\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${hello}\n\tbind = 127.0.0.1\n}\n` +
    `service echo\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${strict}\n\tbind = 127.0.0.1\n\tstrict_word = bad\n}\n`);
  t.after(() => d.stop());
  const conf = escape(join(d.dir, 'xinetd.conf'));
  await d.waitForMessage(new RegExp(`ERROR: strict_word must be ok \\[file=${conf}\\] \\[line=21\\]$`));
  await d.waitForMessage(/Started working: 1 available service$/);
  assert.equal((await exchange(hello)).toString(), 'hello\r\n');
});

test('a log sink that keeps throwing is reported where the daemon logs, once, and every record still reaches the other sinks', async (t) => {
  const dir = pluginProject({
    // Throws on every record, its own failure report included.
    'loud.js': plugin('loud-sink', `daemon.hooks.log.tap('loud-sink', () => { throw new Error('sink boom'); });`),
  });
  const port = await freePort();
  const d = await startDaemon(({ log }) =>
    `defaults\n{\n\tplugins = ${dir}/loud.js\n\tlog_type = FILE ${log}\n\tlog_on_success = PID\n}\n` +
    `service echo\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n\tbind = 127.0.0.1\n}\n`);
  t.after(() => d.stop());
  for (let i = 0; i < 3; i++) assert.equal((await exchange(port, `${i}\n`)).toString(), `${i}\n`);
  await waitForLines(d.serviceLog, /START: echo pid=0/, 3);
  // A reload's messages come after every report the three connections could have caused.
  d.signal('SIGHUP');
  await d.waitForMessage(/Reconfigured: /);
  const reports = (await readLines(d.messages)).filter((l) => /log sink/.test(l));
  assert.equal(reports.length, 1, reports.join('\n'));
  assert.match(reports[0]!, /ERROR: log sink loud-sink failed: sink boom$/);
  assert.equal(d.child.exitCode, null);
});

test('a ready tap that throws stops the start-up with the plugin named', async () => {
  const dir = pluginProject({
    'ready.js': plugin('ready-boom', `daemon.hooks.ready.tapPromise('ready-boom', async () => { throw new Error('ready boom'); });`),
  });
  const conf = join(dir, 'ready.conf');
  writeFileSync(conf, `defaults\n{\n\tplugins = ./ready.js\n}\n`);
  const r = await runCli(['-dontfork', '-f', conf]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /XI_ERR_HOOK: ready boom \(plugin ready-boom\)/);
});

test('activated and deactivated taps that throw are logged with the plugin named; the service serves, and a reload removes it', async (t) => {
  const dir = pluginProject({
    'announce.js': plugin('announce', `daemon.hooks.activated.tap('announce', (s, socket) => { throw new Error('up ' + s.id + ' ' + socket.port); });
daemon.hooks.deactivated.tap('announce', (s) => { throw new Error('down ' + s.id); });`),
  });
  const port = await freePort();
  const echo = `service echo\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n\tbind = 127.0.0.1\n}\n`;
  const d = await startDaemon(`defaults\n{\n\tplugins = ${dir}/announce.js\n}\n${echo}`);
  t.after(() => d.stop());
  await d.waitForMessage(new RegExp(`ERROR: activated failed: up echo ${port} \\(plugin announce\\)$`));
  assert.equal((await exchange(port, 'x\n')).toString(), 'x\n');
  writeFileSync(join(d.dir, 'xinetd.conf'), `defaults\n{\n\tplugins = ${dir}/announce.js\n}\n`);
  d.signal('SIGHUP');
  await d.waitForMessage(/ERROR: deactivated failed: down echo \(plugin announce\)$/);
  await d.waitForMessage(/Reconfigured: new=0 old=0 dropped=1/);
  assert.equal(d.child.exitCode, null);
});
