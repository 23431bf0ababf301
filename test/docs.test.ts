import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { attributeTables, TABLE_BEGIN, TABLE_END } from '../core/attribute-docs.js';
import { Daemon } from '../core/daemon.js';
import { ErrorCodes } from '../core/errors.js';
import { builtinPlugins } from '../plugins/index.js';
import { ROOT } from './helpers/daemon.js';
import { run } from './helpers/e2e.js';
import { USAGE } from '../core/cli-options.js';

test('docs/configuration.md lists exactly the attributes and flags the registry knows (run `npm run docs`)', () => {
  const daemon = new Daemon({});
  for (const p of builtinPlugins()) daemon.use(p);
  const doc = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
  const start = doc.indexOf(TABLE_BEGIN);
  const end = doc.indexOf(TABLE_END);
  assert.ok(start >= 0 && end > start, 'markers present');
  assert.equal(doc.slice(start + TABLE_BEGIN.length, end).trim(), attributeTables(daemon.attributes).trim());
});

test('docs/errors.md documents every XI_ERR_* code', () => {
  const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
  for (const code of Object.keys(ErrorCodes)) assert.match(doc, new RegExp(`\\b${code}\\b`), `${code} missing from docs/errors.md`);
});

test('docs/plugins.md documents every hook the daemon declares', () => {
  const daemon = new Daemon({});
  const doc = readFileSync(join(ROOT, 'docs/plugins.md'), 'utf8');
  for (const hook of Object.keys(daemon.hooks)) assert.match(doc, new RegExp(`^### \`${hook}\``, 'm'), `hook ${hook} missing from docs/plugins.md`);
});

/** Every .ts file under the given top-level folders. */
function sources(...folders: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) out.push(path);
    }
  };
  for (const f of folders) walk(join(ROOT, f));
  return out;
}

test('the man page (docs/man/xinetd-ts.8) renders without warnings and names every option and environment variable', async () => {
  const page = join(ROOT, 'docs/man/xinetd-ts.8');
  const groff = await run('groff', ['-man', '-ww', '-z', page]);
  assert.equal(groff.code, 0, groff.stderr);
  assert.equal(groff.stderr, '');
  // roff writes a dash as \-.
  const text = readFileSync(page, 'utf8').replaceAll('\\-', '-');
  const options = new Set(USAGE.match(/(?<=[[\s])-{1,2}[a-z_-]+/g));
  assert.ok(options.size >= 15, [...options].join(' '));
  for (const option of options) assert.match(text, new RegExp(`(^|[^\\w-])${option}\\b`, 'm'), `${option} missing from the man page`);
  // What the daemon reads from its environment, but for the tests' hooks and what the daemon
  // sets for its own children (the detached half's mark, the launcher's channel).
  const internal = new Set(['XINETD_TS_SENSOR_MINUTE_MS', 'XINETD_TS_TEST_LOADAVG_FILE', 'XINETD_TS_DETACHED', 'XINETD_TS_FD_CHANNEL']);
  const variables = new Set(sources('core', 'plugins', 'internal-services').flatMap((f) => readFileSync(f, 'utf8').match(/XINETD_TS_[A-Z_]+/g) ?? []));
  assert.ok(variables.has('XINETD_TS_LAUNCHERS'));
  for (const v of variables) if (!internal.has(v)) assert.match(text, new RegExp(`\\b${v}\\b`), `${v} missing from the man page`);
});
