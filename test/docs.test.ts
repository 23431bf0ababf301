import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { attributeTables, TABLE_BEGIN, TABLE_END } from '../core/attribute-docs.js';
import { Daemon } from '../core/daemon.js';
import { ErrorCodes } from '../core/errors.js';
import { builtinPlugins } from '../plugins/index.js';
import { ROOT } from './helpers/daemon.js';

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
