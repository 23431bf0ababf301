/** hosts.allow / hosts.deny change detection: checked in the background, never waited for once read. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { WatchedFile } from '../../plugins/libwrap/watched-file.js';
import { tempDir } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

test('a due check runs in the background: the last state answers at once until the new one is read', async () => {
  const file = join(tempDir('watched-'), 'hosts.allow');
  writeFileSync(file, 'one\n');
  const watched = new WatchedFile(file, (text) => text.trim(), 50);
  assert.equal(watched.cached(), undefined, 'nothing before the first read');
  const first = await watched.current();
  assert.deepEqual(first, { ok: true, value: 'one', fresh: true });
  assert.deepEqual(watched.cached(), { ok: true, value: 'one', fresh: false }, 'read once, then answered without I/O');

  writeFileSync(file, 'two, a longer line\n');
  // Every call answers synchronously with a state; the change shows once a background check read it.
  const seen = await waitFor('the changed file to be seen', () => {
    const state = watched.cached();
    assert.ok(state, 'a state was read once, so cached() never answers undefined again');
    return state.ok && state.value !== 'one' ? state : undefined;
  }, { ms: 5000, everyMs: 10 });
  assert.equal(seen.ok && seen.value, 'two, a longer line');
  assert.equal(seen.fresh, true, 'a new version is handed out fresh once (its problems get reported)');
  assert.deepEqual(watched.cached(), { ok: true, value: 'two, a longer line', fresh: false }, '... and only once');
});

test('a file that becomes unreadable is reported by the next check, and a missing one reads as empty', async () => {
  const dir = tempDir('watched-');
  const file = join(dir, 'hosts.deny');
  const watched = new WatchedFile(file, (text) => text, 50);
  assert.deepEqual(await watched.current(), { ok: true, value: '', fresh: true }, 'missing: empty, as in tcpd');
  writeFileSync(file, 'x');
  await waitFor('the new file to be read', () => (watched.cached()?.ok && (watched.cached() as { value: string }).value === 'x' ? true : undefined), { ms: 5000, everyMs: 10 });
  // A directory where the file was: reading fails, and the caller must fail closed.
  const other = new WatchedFile(dir, (text) => text, 50);
  const state = await other.current();
  assert.equal(state.ok, false);
  assert.match(state.ok ? '' : state.error, /cannot open/);
});
