/** RecentStarts: the pool's count of servers started in the last moments and still running. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentStarts } from '../../core/launcher/recent-starts.js';

test('counts starts inside the window that have not ended', () => {
  const r = new RecentStarts(50);
  const end0 = r.add(0);
  r.add(10);
  const end2 = r.add(20);
  assert.equal(r.count(20), 3);
  end2();
  end2(); // ending twice counts once
  assert.equal(r.count(30), 2);
  assert.equal(r.count(55), 1, 'the start at 0 is older than the window');
  end0(); // ending after it expired changes nothing
  assert.equal(r.count(55), 1);
  assert.equal(r.count(61), 0);
});

test('stays bounded over many starts', () => {
  const r = new RecentStarts(5);
  for (let t = 0; t < 100_000; t++) {
    const end = r.add(t);
    if (t % 2) end();
    assert.ok(r.count(t) <= 3);
  }
  assert.ok((r as unknown as { entries: unknown[] }).entries.length < 200, 'expired entries are dropped');
});

test('stays bounded when nothing ever counts (a pool of one process never asks)', () => {
  const r = new RecentStarts(50);
  for (let t = 0; t < 100_000; t++) r.add(t);
  assert.ok(r.size < 200, `${r.size} entries kept for 100,000 starts`);
  assert.equal(r.count(100_000), 50, 'the starts of the last 50 ms are still counted');
});
