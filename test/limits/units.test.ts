/** The pure parts of the limits plugin: the cps window, IPv6 prefixes, the load figure, descriptor ceilings, parsing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AttributeRegistry, AttributeError, WrongValueCount } from '../../core/config/attributes.js';
import { defineLimitAttributes } from '../../plugins/limits/attributes.js';
import { CpsWindow } from '../../plugins/limits/cps-window.js';
import { descriptorCeilings, openFileLimit } from '../../plugins/limits/descriptors.js';
import { LoadAverage } from '../../plugins/limits/load-average.js';
import { ipv6Groups, prefixSource } from '../../plugins/limits/source-prefix.js';
import { tempDir } from '../helpers/daemon.js';

/** A clock the test moves by hand (ms). */
const manualClock = () => {
  let now = 1_000_000;
  return { now: () => now, set: (ms: number) => (now = ms), advance: (ms: number) => (now += ms) };
};

test('cps window: xinetd\'s example `cps = 2 3` trips on the third connection in one second', () => {
  const clock = manualClock();
  const w = new CpsWindow(2, clock.now);
  assert.equal(w.hit(), false);
  assert.equal(w.hit(), false);
  assert.equal(w.hit(), true);
});

test('cps window: a connection counts at its arrival time when one is given, not at the clock\'s now', () => {
  const clock = manualClock();
  clock.set(50_000);
  const w = new CpsWindow(1, clock.now);
  assert.equal(w.hit(10_000), false, 'arrived at t=10');
  assert.equal(w.hit(10_500), true, 'the second in the same second trips, whatever the clock says');
  assert.equal(w.hit(11_000), false, 'a new window one second (RATE) later');
});

test('cps window: count / elapsed seconds (integer division, at least 1) against RATE; the window restarts after RATE seconds', () => {
  const clock = manualClock();
  clock.set(10_000);
  const w = new CpsWindow(5, clock.now);
  for (let i = 0; i < 5; i++) assert.equal(w.hit(), false, `hit ${i + 1} at t=10`);
  clock.set(12_000); // elapsed 2 s: 6/2 = 3, 7/2 = 3 ... 11/2 = 5, 12/2 = 6 > 5
  for (let n = 6; n <= 11; n++) assert.equal(w.hit(), false, `count ${n} at elapsed 2`);
  assert.equal(w.hit(), true, 'count 12 at elapsed 2');
  assert.equal(w.hit(), true, 'a trip does not reset the count');
  clock.set(15_000); // elapsed 5 >= RATE: a new window
  assert.equal(w.hit(), false);
  assert.equal(w.hit(), false);
});

test('cps window: whole seconds, like time(NULL): 999 ms later is still the same second', () => {
  const clock = manualClock();
  clock.set(20_000);
  const w = new CpsWindow(1, clock.now);
  assert.equal(w.hit(), false);
  clock.set(20_999);
  assert.equal(w.hit(), true, '2 in second 20: 2/1 > 1');
  const v = new CpsWindow(1, clock.now);
  clock.set(30_999);
  v.hit();
  clock.set(31_000);
  assert.equal(v.hit(), false, 'elapsed 1 >= RATE 1: a new window');
});

test('cps window: a clock going backwards restarts the window instead of tripping', () => {
  const clock = manualClock();
  clock.set(50_000);
  const w = new CpsWindow(1, clock.now);
  w.hit();
  clock.set(40_000);
  assert.equal(w.hit(), false);
});

test('IPv6 prefixes: groups and masking', () => {
  assert.deepEqual(ipv6Groups('2001:db8::1'), [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(ipv6Groups('::1'), [0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(ipv6Groups('64:ff9b::192.0.2.1'), [0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0201]);
  assert.deepEqual(ipv6Groups('fe80::1%lo'), [0xfe80, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(ipv6Groups('127.0.0.1'), undefined);
  assert.equal(prefixSource('2001:db8:0:1:aaaa::1', 64), '2001:db8:0:1:0:0:0:0/64');
  assert.equal(prefixSource('2001:db8:0:1:bbbb:cccc:dddd:eeee', 64), '2001:db8:0:1:0:0:0:0/64');
  assert.notEqual(prefixSource('2001:db8:0:2::1', 64), prefixSource('2001:db8:0:1::1', 64));
  assert.equal(prefixSource('2001:db8:ffff::', 36), '2001:db8:f000:0:0:0:0:0/36');
  assert.equal(prefixSource('2001:db8::1', 128), '2001:db8:0:0:0:0:0:1/128');
  assert.equal(prefixSource('192.0.2.7', 64), '192.0.2.7', 'IPv4 sources are never grouped');
});

test('load average: first figure, cached for maxAge, one read for a burst, -1 when unreadable', async () => {
  const dir = tempDir();
  const file = join(dir, 'loadavg');
  writeFileSync(file, '1.25 0.50 0.10 1/99 77\n');
  const clock = manualClock();
  const errors: string[] = [];
  const load = new LoadAverage({ path: file, clock: clock.now, onError: (m) => errors.push(m) });
  const burst = await Promise.all([load.current(), load.current(), load.current()]);
  assert.deepEqual(burst, [1.25, 1.25, 1.25]);
  writeFileSync(file, '9.00 0.50 0.10 1/99 77\n');
  assert.equal(await load.current(), 1.25, 'cached');
  clock.advance(1000);
  assert.equal(await load.current(), 9);
  const missing = new LoadAverage({ path: join(dir, 'nope'), clock: clock.now, onError: (m) => errors.push(m) });
  assert.equal(await missing.current(), -1);
  clock.advance(1000);
  assert.equal(await missing.current(), -1);
  assert.equal(errors.length, 1, 'reported once');
  const real = new LoadAverage();
  assert.ok((await real.current()) >= 0, 'the real /proc/loadavg');
});

test('descriptor ceilings and the soft RLIMIT_NOFILE from /proc/self/limits', () => {
  assert.deepEqual(descriptorCeilings(1024), { soft: 896, hard: 992 });
  assert.deepEqual(descriptorCeilings(160), { soft: 140, hard: 152 });
  assert.deepEqual(descriptorCeilings(1_048_576), { soft: 1_048_320, hard: 1_048_512 });
  const limit = openFileLimit();
  assert.ok(limit === undefined || limit > 0);
  const dir = tempDir();
  writeFileSync(join(dir, 'limits'), 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            77                   4096                 files     \n');
  assert.equal(openFileLimit(join(dir, 'limits')), 77);
  assert.equal(openFileLimit(join(dir, 'absent')), undefined);
});

test('attribute parsing: instances, per_source (with /LEN), cps (with the lone 0), max_load', () => {
  const registry = new AttributeRegistry();
  const keys = defineLimitAttributes(registry);
  const warnings: string[] = [];
  const ctx = { service: 's', at: { file: 'f', line: 1 }, warn: (m: string) => warnings.push(m) };
  const parse = (name: string, ...values: string[]) => registry.lookup(name)!.parse(values, ctx);
  assert.equal(parse('instances', '120'), 120);
  assert.equal(parse('instances', 'UNLIMITED'), Infinity);
  assert.equal(parse('instances', '0'), 0);
  assert.throws(() => parse('instances', '-1'), new AttributeError('Number of instances is invalid: -1'));
  assert.throws(() => parse('instances', 'many'), AttributeError);
  assert.deepEqual(parse('per_source', '10'), { max: 10, prefix6: undefined });
  assert.deepEqual(parse('per_source', '10', '/64'), { max: 10, prefix6: 64 });
  assert.deepEqual(parse('per_source', '10/56'), { max: 10, prefix6: 56 });
  assert.deepEqual(parse('per_source', 'UNLIMITED'), { max: Infinity, prefix6: undefined });
  assert.throws(() => parse('per_source', 'x'), /Number of per source instances is invalid: x/);
  assert.throws(() => parse('per_source', '4', '/129'), /prefix length/);
  assert.throws(() => parse('per_source', '4', '64'), /prefix length/);
  // A comment after the value is more values, as xinetd reads it: its warning, the line ignored.
  assert.throws(() => parse('per_source', '4', '#', 'note'), new WrongValueCount(1, 3));
  assert.throws(() => parse('per_source', '4', '#note'), new WrongValueCount(1, 2));
  assert.throws(() => parse('per_source'), new WrongValueCount(1, 0));
  assert.deepEqual(parse('cps', '25', '30'), { rate: 25, wait: 30 });
  assert.deepEqual(parse('cps', '0'), { rate: 0, wait: 0 });
  assert.deepEqual(parse('cps', '0', '5'), { rate: 0, wait: 5 });
  assert.throws(() => parse('cps', 'x', '5'), new AttributeError('cps argument not a number'));
  assert.throws(() => parse('cps', '5', '-1'), new AttributeError('cps time argument not a number'));
  assert.throws(() => parse('cps', '7'), new WrongValueCount(2, 1));
  assert.deepEqual(warnings, [], 'a wrong value count is thrown for the resolver to ignore the line, not warned here');
  assert.equal(parse('max_load', '2.5'), 2.5);
  assert.equal(parse('max_load', '-1'), -1);
  assert.throws(() => parse('max_load', '0.0'), new AttributeError('error parsing max_load argument'));
  assert.throws(() => parse('max_load', 'high'), new AttributeError('error reading max_load argument'));
  assert.equal(parse('max_load', '3x'), 3, 'sscanf keeps the leading number');
  assert.equal(keys.cps.name, 'cps');
});
