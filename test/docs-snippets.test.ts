/**
 * Users copy configurations from the docs: every one must be what `xinetd-ts check` accepts, or,
 * where the docs show a mistake, what it reports. The snippets are the fenced blocks tagged
 * `xinetd` (classic syntax), `json` or `yaml` (the structured form) of README.md and docs/*.md;
 * a snippet written to show a mistake has its diagnostics in `<!-- check: error|warning TEXT -->`
 * lines right above the fence. Each one runs through the real CLI.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli, type CheckJson } from './helpers/cli.js';
import { ROOT } from './helpers/daemon.js';
import { fences, type Expected, type Fence } from './helpers/doc-fences.js';
import { onThisHost } from './helpers/host-stand-ins.js';
import { pluginProject } from './helpers/plugin-project.js';

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((n) => n.endsWith('.md')).sort().map((n) => `docs/${n}`)];
/** The configuration files shipped as examples, checked where they are. */
const EXAMPLES = readdirSync(join(ROOT, 'docs/examples')).filter((n) => n.endsWith('.conf')).sort().map((n) => `docs/examples/${n}`);
/** The file extension that makes `check` read each tag's form. */
const EXTENSION: Readonly<Record<string, string>> = { xinetd: '.conf', json: '.json', yaml: '.yaml', yml: '.yaml' };

const allFences = DOCS.flatMap((doc) => fences(join(ROOT, doc)));
const snippets = allFences.filter((f) => EXTENSION[f.lang] !== undefined);
const where = (f: Fence) => `${relative(ROOT, f.file)}:${f.line}`;

/**
 * Where the snippets are checked: the files they name by relative path, as a user has them next
 * to the configuration (plugins, an included file and directory), and `node_modules/xinetd-ts`
 * for the plugins' imports.
 */
function project(): string {
  const dir = pluginProject({});
  const plugin = (name: string) => `export default () => ({ name: '${name}', apply() {} });\n`;
  const files: Record<string, string> = {
    'quote-service.js': readFileSync(join(ROOT, 'docs/examples/plugins/quote-service.js'), 'utf8'),
    'plugins/mine.js': plugin('mine'),
    'plugins/other.js': plugin('other'),
    'node_modules/xinetd-ts-plugin-example/package.json': '{ "name": "xinetd-ts-plugin-example", "type": "module", "main": "index.js" }\n',
    'node_modules/xinetd-ts-plugin-example/index.js': plugin('example'),
    'legacy/xinetd.conf': '# the entries kept from an older machine\n',
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  mkdirSync(join(dir, 'xinetd.d'));
  return dir;
}

/** Attribute lines alone belong in a service: a minimal one, with what they do not set. */
function inService(fragment: string): string {
  const written = new Set([...fragment.matchAll(/^\s*(\w+)\s*[-+]?=/gm)].map((m) => m[1]!.toLowerCase()));
  const base = ['type = UNLISTED', 'port = 7100', 'socket_type = stream', 'wait = no', 'user = root', 'server = /bin/sh'];
  const lines = [...base.filter((l) => !written.has(l.split(' ')[0]!)), ...fragment.trimEnd().split('\n').map((l) => l.trim())];
  return `service docs-fragment\n{\n${lines.map((l) => `\t${l}\n`).join('')}}\n`;
}

const isFragment = (text: string) => !/^\s*(service\s+\S|defaults\b|includedir\s|include\s)/im.test(text);

async function check(file: string, cwd: string): Promise<{ code: number | null; json: CheckJson; output: string }> {
  const r = await runCli(['check', '-f', file, '--json'], { cwd });
  try {
    return { code: r.code, json: JSON.parse(r.stdout) as CheckJson, output: r.stdout };
  } catch {
    throw new Error(`check printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

/** What check said, against what the docs say it says (nothing, unless marked). */
function judge(result: { code: number | null; json: CheckJson; output: string }, expected: readonly Expected[], note: string): void {
  const said = result.json.diagnostics.map((d) => `${d.level}: ${d.message}`);
  const context = `${note}\ncheck said:\n${said.join('\n') || '(nothing)'}\n${result.output}`;
  for (const e of expected) {
    assert.ok(result.json.diagnostics.some((d) => d.level === e.level && d.message.includes(e.message)), `the docs say check reports ${e.level}: ${e.message}\n${context}`);
  }
  const unexpected = result.json.diagnostics.filter((d) => !expected.some((e) => d.level === e.level && d.message.includes(e.message)));
  assert.deepEqual(unexpected.map((d) => `${d.level}: ${d.message}`), [], context);
  assert.equal(result.code, expected.some((e) => e.level === 'error') ? 1 : 0, context);
  if (expected.length === 0) {
    const broken = result.json.services.filter((s) => s.status === 'error');
    assert.deepEqual(broken.map((s) => `${s.id}: ${s.reason}`), [], context);
  }
}

describe('the configuration snippets of the docs pass `xinetd-ts check`', { concurrency: true }, () => {
  let dir = '';
  before(() => {
    dir = project();
  });

  it('every fence has a language, and the classic configurations are tagged `xinetd`', () => {
    assert.deepEqual(allFences.filter((f) => f.lang === '').map(where), [], 'tag these fences (xinetd, json, yaml, sh, js, text...)');
    const looksClassic = (f: Fence) => /^\s*(service\s+\S+|defaults)\b/m.test(f.text) && /^\s*\w+\s*[-+]?=/m.test(f.text);
    assert.deepEqual(allFences.filter((f) => f.lang !== 'xinetd' && looksClassic(f)).map(where), [], 'classic configuration outside an `xinetd` fence');
    assert.deepEqual(allFences.filter((f) => f.expected.length > 0 && EXTENSION[f.lang] === undefined).map(where), [], 'a check mark above a fence that is not a configuration');
    // The extraction itself: the pages with configurations, and a marked mistake, are found.
    for (const doc of ['docs/configuration.md', 'docs/limits.md', 'docs/logging.md', 'docs/internal-services.md']) {
      assert.ok(snippets.some((s) => relative(ROOT, s.file) === doc), `no configuration snippet found in ${doc}`);
    }
    assert.ok(snippets.some((s) => s.lang === 'json'));
    assert.ok(snippets.some((s) => s.expected.some((e) => e.level === 'error')));
  });

  for (const [i, snippet] of snippets.entries()) {
    it(`${where(snippet)} (${snippet.lang}${snippet.expected.length > 0 ? ', a documented mistake' : ''})`, async () => {
      const text = snippet.lang === 'xinetd' && isFragment(snippet.text) ? inService(snippet.text) : snippet.text;
      const host = onThisHost(text);
      const file = join(dir, `snippet-${i}${EXTENSION[snippet.lang]}`);
      writeFileSync(file, host.text);
      const note = `${where(snippet)}, checked as ${file}${host.replaced.length > 0 ? ` (on this machine: ${host.replaced.join(', ')})` : ''}:\n${host.text}`;
      judge(await check(file, dir), snippet.expected, note);
    });
  }

  for (const example of EXAMPLES) {
    it(example, async () => {
      judge(await check(join(ROOT, example), ROOT), [], example);
    });
  }
});
