/**
 * Fuzzed configurations through the real command: `check` prints located diagnostics and never a
 * stack; the daemon either starts or exits with an error naming file:line; a SIGHUP with a
 * fuzzed configuration swaps it in, or, when it is fatal, keeps the running one, and the daemon
 * lives on. A case reaches a daemon only if everything it would listen on or write to is safe
 * here (loopback, ports 18400-18599, files in its own directory); no name is ever looked up.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Diagnostic, RawConfig } from '../../core/config/raw.js';
import { pluginSpecsOf, type ResolvedConfig } from '../../core/config/resolve.js';
import { parseClassicConfig } from '../../core/config/xinetd-conf.js';
import { checkJson } from '../helpers/cli.js';
import { shebangEnv, shebangNodeOptions } from '../helpers/cli-node-options.js';
import { CLI, startDaemon, tempDir } from '../helpers/daemon.js';
import { caseSeed, mutate, Rng, showInput } from '../helpers/fuzz.js';
import { assertDiagnosticLocated, classicDictionary, fuzzDaemon, lineCounts, offlineLookups, resolveWith } from '../helpers/fuzz-config.js';
import { exchange } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';
import { waitForLines } from '../helpers/e2e.js';

offlineLookups();
const daemon = fuzzDaemon();
const dictionary = classicDictionary(daemon);

/** Services of every kind on loopback ports of this test's range; what the mutations start from. */
const safeConfig = (base: number) => `defaults
{
\tlog_type       = FILE service.log
\tlog_on_success = PID HOST EXIT DURATION
\tlog_on_failure = HOST ATTEMPT
\tinstances      = 20
\tper_source     = 5
\tcps            = 100 1
\tonly_from      = 127.0.0.0/8 ::1
}

service echo
{
\tid          = echo-stream
\ttype        = INTERNAL UNLISTED
\tsocket_type = stream
\twait        = no
\tport        = ${base}
\tbind        = 127.0.0.1
}

service daytime
{
\tid          = daytime-dgram
\ttype        = INTERNAL UNLISTED
\tsocket_type = dgram
\twait        = yes
\tport        = ${base + 1}
\tbind        = 127.0.0.1
\taccess_times = 00:00-24:00
}

service cat
{
\ttype        = UNLISTED
\tsocket_type = stream
\tprotocol    = tcp
\twait        = no
\tport        = ${base + 2}
\tbind        = 127.0.0.1
\tuser        = nobody
\tserver      = /bin/cat
\tenv         = A=1
\tlog_on_success += TRAFFIC
}

service forward
{
\ttype        = UNLISTED
\tsocket_type = stream
\twait        = no
\tport        = ${base + 3}
\tbind        = 127.0.0.1
\tredirect    = 127.0.0.1 ${base}
\tbanner_fail = banner
}
`;

const inRange = (port: number) => port >= 18400 && port <= 18599;
const localFile = (dir: string, file: unknown) => typeof file !== 'string' || file.startsWith(`${dir}/`) || file === '/dev/stdout' || file === '/dev/null';

/**
 * Whether the daemon may run this configuration here: every address numeric (no look-up),
 * every socket on loopback in the range, no RPC (rpcbind), no syslog, logs in the case's directory.
 */
function runnable(raw: RawConfig, resolved: ResolvedConfig, dir: string): boolean {
  const entries = raw.sections.flatMap((s) => s.entries);
  if (entries.some((e) => /^(bind|interface)$/i.test(e.attr) && e.values.some((v) => isIP(v) === 0))) return false;
  if (entries.some((e) => /^(syslog_server)$/i.test(e.attr))) return false;
  const logsHere = (values: { get(key: { name: string }): unknown }) => {
    const type = values.get({ name: 'log_type' }) as { kind: string; path?: string } | undefined;
    return (type === undefined || (type.kind === 'file' && localFile(dir, type.path))) && localFile(dir, values.get({ name: 'log_json' }));
  };
  if (!logsHere(resolved.defaults)) return false;
  return resolved.services.every((s) => {
    const targets = (s.values.get({ name: 'redirect' }) as readonly { host: string; port: number }[] | undefined) ?? [];
    return inRange(s.port) && s.bind === '127.0.0.1' && !s.types.has('RPC') && logsHere(s.values) && targets.every((t) => isIP(t.host) !== 0 && t.host.startsWith('127.') && inRange(t.port));
  });
}

interface Case {
  readonly dir: string;
  readonly conf: string;
  readonly text: Buffer;
  readonly raw: RawConfig;
  readonly resolved: ResolvedConfig;
}

/** Mutated configurations the daemon may run, from seed `seed`, until `count` are found. */
async function runnableCases(seed: number, count: number, base: number, fatal: (rng: Rng) => boolean): Promise<Case[]> {
  const cases: Case[] = [];
  for (let i = 0; cases.length < count && i < 2000; i++) {
    const rng = new Rng(caseSeed(seed, i));
    const dir = tempDir('xinetd-ts-fuzz-daemon-');
    writeFileSync(join(dir, 'banner'), 'go away\n');
    mkdirSync(join(dir, 'd'));
    let text = mutate(rng, safeConfig(base), { dictionary, maxMutations: 4 });
    // A value error in defaults: the whole configuration is refused.
    if (fatal(rng)) text = Buffer.from(text.toString('latin1').replace(/defaults\n\{\n/, `defaults\n{\n\t${rng.pick(['instances = many', 'cps = x 1', 'umask = 999', 'per_source = -1', 'log_type = FILE', 'max_load = 0', 'v6only = maybe', 'bind = 1.2.3.4.5'])}\n`), 'latin1');
    const conf = join(dir, 'xinetd.conf');
    writeFileSync(conf, text);
    const raw = parseClassicConfig(conf);
    const resolved = await resolveWith(daemon, raw);
    if (runnable(raw, resolved, dir)) cases.push({ dir, conf, text, raw, resolved });
  }
  assert.equal(cases.length, count, `only ${cases.length} runnable cases`);
  return cases;
}

/** No stack trace, no uncaught error: what the daemon says is for an administrator. */
function assertNoCrash(text: string, what: string): void {
  assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, `${what}: a stack trace`);
  assert.doesNotMatch(text, /uncaught error|Uncaught|TypeError|RangeError|ReferenceError/, `${what}: an uncaught error`);
}

/** Every `[file=F] [line=N]` of the messages names a line that exists in a file that was read. */
function assertMessagesLocated(messages: string, raw: RawConfig): number {
  const counts = lineCounts(raw.files);
  let located = 0;
  for (const m of messages.matchAll(/\[file=(.*?)\] \[line=(\d+)\]/g)) {
    const lines = counts.get(m[1]!);
    assert.ok(lines !== undefined && Number(m[2]) >= 1 && Number(m[2]) <= lines, `${m[0]}: no such line`);
    located++;
  }
  return located;
}

const describeCase = (c: Case, extra: string) => `${extra}\nconfiguration: ${showInput(c.text)}`;

test('check: fuzzed configurations give located diagnostics and an exit status, never a stack', async () => {
  const cases = await runnableCases(6601, 10, 18400, (rng) => rng.chance(0.3));
  for (const c of cases) {
    const { code, json, stderr } = await checkJson(c.conf);
    assertNoCrash(stderr, 'check');
    assert.ok(code === 0 || code === 1, describeCase(c, `exit status ${code}`));
    assert.equal(json.ok, code === 0);
    const counts = lineCounts(c.raw.files);
    for (const d of json.diagnostics) assertDiagnosticLocated({ ...d, level: d.level as Diagnostic['level'] }, counts, describeCase(c, ''));
    if (c.resolved.fatal) assert.equal(code, 1, describeCase(c, 'a fatal configuration passed check'));
  }
});

/** Run the daemon on a case: it starts (then SIGTERM) or exits at once; what it said. */
async function runOnce(c: Case, debug: boolean): Promise<{ started: boolean; code: number | null; messages: string; stderr: string }> {
  const messages = join(c.dir, 'messages.log');
  const argv = [...shebangNodeOptions(CLI), CLI, '-dontfork', '-stayalive', ...(debug ? ['-d'] : []), '-f', c.conf, '-filelog', messages, '-dumpfile', join(c.dir, 'dump')];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: shebangEnv(CLI, process.env) });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = once(child, 'exit') as Promise<[number | null]>;
  let gone = false;
  void exited.then(() => (gone = true));
  const read = () => {
    try {
      return readFileSync(messages, 'utf8');
    } catch {
      return '';
    }
  };
  try {
    await waitFor('the daemon to start or exit', () => (gone || /Started working/.test(read()) ? true : undefined), { ms: 15_000, file: messages });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const started = /Started working/.test(read());
  if (started) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code] = await exited;
  clearTimeout(timer);
  return { started, code, messages: read(), stderr };
}

test('the daemon on fuzzed configurations: it starts, or exits with an error naming file:line', async () => {
  const cases = await runnableCases(6602, 6, 18420, (rng) => rng.chance(0.4));
  let exits = 0;
  for (const [i, c] of cases.entries()) {
    const debug = i % 2 === 1;
    const run = await runOnce(c, debug);
    assertNoCrash(run.messages + run.stderr, 'the daemon');
    const located = assertMessagesLocated(run.messages, c.raw);
    if (run.started) {
      assert.equal(run.code, 0, describeCase(c, `SIGTERM: exit status ${run.code}\n${run.messages}`));
      continue;
    }
    exits++;
    // Without -d only a fatal configuration stops the start (-stayalive: no services is no reason).
    assert.ok(c.resolved.fatal && !debug, describeCase(c, `exited at start, exit status ${run.code}:\n${run.messages}${run.stderr}`));
    assert.notEqual(run.code, 0);
    assert.match(run.messages, /A fatal error was encountered while parsing the default section/);
    assert.ok(located > 0, describeCase(c, `the exit names no file:line:\n${run.messages}`));
  }
  assert.ok(exits > 0 && exits < cases.length, `${exits} of ${cases.length} exited: both outcomes are tried`);
});

test('SIGHUP with fuzzed configurations: a fatal one keeps the running configuration, the daemon lives on', async () => {
  const base = 18440;
  const d = await startDaemon(safeConfig(base), { args: ['-stayalive'], files: { banner: 'go away\n' } });
  const conf = join(d.dir, 'xinetd.conf');
  let reloads = 0;
  const reload = async (text: string | Buffer): Promise<string> => {
    writeFileSync(conf, text);
    d.signal('SIGHUP');
    const lines = await waitForLines(d.messages, /Reconfigured: |reconfiguration failed/, ++reloads);
    return lines[reloads - 1]!;
  };
  try {
    const echoes = async () => (await exchange(base, 'ping\n')).toString();
    assert.equal(await echoes(), 'ping\n');
    const cases = await runnableCases(6603, 10, base, (rng) => rng.chance(0.5));
    let kept = 0;
    for (const c of cases) {
      // Its relative paths (the banner) name the daemon's own files now.
      const outcome = await reload(c.text);
      assert.equal(d.child.exitCode, null, describeCase(c, 'the daemon died on a reload'));
      const refused = c.resolved.fatal || pluginSpecsOf(c.raw).length > 0;
      if (refused) {
        kept++;
        assert.match(outcome, /reconfiguration failed/, describeCase(c, `a refused configuration was swapped in: ${outcome}`));
        assert.equal(await echoes(), 'ping\n', describeCase(c, 'the running configuration was not kept'));
      } else {
        assert.match(outcome, /Reconfigured: /, describeCase(c, `the reload failed: ${outcome}`));
        assert.match(await reload(safeConfig(base)), /Reconfigured: /);
        assert.equal(await echoes(), 'ping\n');
      }
    }
    assert.ok(kept > 0 && kept < cases.length, `${kept} of ${cases.length} refused: both outcomes are tried`);
    const messages = readFileSync(d.messages, 'utf8');
    assertNoCrash(messages + d.stderr(), 'the daemon');
  } finally {
    await d.stop();
  }
});
