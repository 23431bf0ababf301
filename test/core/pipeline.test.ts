import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AsyncSeriesBailHook } from 'tapable';
import { Daemon } from '../../core/daemon.js';
import type { LogEvent } from '../../core/log-event.js';
import { refuse } from '../../core/refusal.js';
import type { Session } from '../../core/session.js';
import { tempDir } from '../helpers/daemon.js';
import { exchange, freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

/** A daemon on a one-service config whose connections are answered by an in-test launcher. */
async function daemonWith(setup: (d: Daemon) => void) {
  const port = await freePort();
  const dir = tempDir();
  const conf = join(dir, 'xinetd.conf');
  writeFileSync(conf, `service t\n{\n\ttype = UNLISTED\n\tport = ${port}\n\tsocket_type = stream\n\twait = no\n\tbind = 127.0.0.1\n}\n`);
  const daemon = new Daemon({ configFile: conf });
  const events: LogEvent[] = [];
  let launched = 0;
  daemon.claimInProcess('test', () => true);
  daemon.hooks.log.tap('test-sink', (e) => events.push(e));
  daemon.hooks.launch.tapPromise('test-launcher', async (conn): Promise<Session> => {
    launched++;
    conn.socket!.resume();
    conn.socket!.end('ok\n');
    return { pid: 0, done: Promise.resolve({ status: 0 }), stop: () => undefined, logExit: false, counted: false };
  });
  setup(daemon);
  await daemon.start(await daemon.loadConfig());
  return { daemon, port, events, launched: () => launched };
}

test('a refusal is a value that names the refusing tap; the connection is closed and never launched', async (t) => {
  const h = await daemonWith((d) => {
    d.hooks.authorize.tapPromise('first', async () => undefined);
    d.hooks.authorize.tapPromise('gatekeeper', async () => refuse('address', 'test rule'));
    d.hooks.authorize.tapPromise('never-reached', async () => {
      throw new Error('must not run after a refusal');
    });
  });
  t.after(() => h.daemon.close());
  const reply = await exchange(h.port);
  assert.equal(reply.length, 0);
  const fail = await waitFor('FAIL event', () => h.events.find((e) => e.kind === 'fail'));
  assert.equal(fail.kind, 'fail');
  if (fail.kind === 'fail') assert.deepEqual(fail.refusal, { code: 'address', detail: 'test rule', by: 'gatekeeper' });
  assert.equal(h.launched(), 0);
});

test('an exception in authorize fails closed: logged with the hook, the connection closed, nothing launched', async (t) => {
  const h = await daemonWith((d) => {
    d.hooks.authorize.tapPromise('broken', async () => {
      throw new Error('boom');
    });
  });
  t.after(() => h.daemon.close());
  const reply = await exchange(h.port);
  assert.equal(reply.length, 0);
  const msg = await waitFor('error message', () => h.events.find((e) => e.kind === 'daemon' && /authorize failed: boom/.test(e.message)));
  assert.ok(msg);
  assert.equal(h.launched(), 0);
});

test('admitted connections reach the launcher after authorize and limit both continue', async (t) => {
  const order: string[] = [];
  const h = await daemonWith((d) => {
    d.hooks.accept.tapPromise('a', async () => void order.push('accept'));
    d.hooks.limit.tapPromise('l', async () => void order.push('limit'));
    d.hooks.authorize.tapPromise('z', async () => void order.push('authorize'));
    d.hooks.decided.tapPromise('d', async (_c, decision) => void order.push(`decided:${decision.admitted}`));
  });
  t.after(() => h.daemon.close());
  assert.equal((await exchange(h.port)).toString(), 'ok\n');
  assert.deepEqual(order, ['accept', 'authorize', 'limit', 'decided:true']);
  assert.equal(h.launched(), 1);
});

test('a bail hook stops on any value but undefined: returning false would refuse (why taps return undefined)', async () => {
  const hook = new AsyncSeriesBailHook<[number], unknown>(['n']);
  let second = false;
  hook.tapPromise('returns-false', async () => false);
  hook.tapPromise('second', async () => {
    second = true;
    return undefined;
  });
  assert.equal(await hook.promise(1), false);
  assert.equal(second, false);
});

test('a throwing log sink never reaches the connection or the other sinks', async (t) => {
  const seen: string[] = [];
  const h = await daemonWith((d) => {
    d.hooks.log.tap('throwing-sink', () => {
      throw new Error('sink down');
    });
    d.hooks.log.tap('healthy-sink', (e) => void seen.push(e.kind));
  });
  t.after(() => h.daemon.close());
  assert.equal((await exchange(h.port)).toString(), 'ok\n');
  await waitFor('start record in the healthy sink', () => (seen.includes('start') ? true : undefined));
});

test('a tap that declares `applies` runs only for the services it applies to; later taps and call interceptors are seen', async (t) => {
  const [p1, p2] = [await freePort(), await freePort()];
  const dir = tempDir();
  const conf = join(dir, 'xinetd.conf');
  const block = (id: string, port: number) => `service ${id}\n{\n\ttype = UNLISTED\n\tport = ${port}\n\tsocket_type = stream\n\twait = no\n\tbind = 127.0.0.1\n}\n`;
  writeFileSync(conf, block('t1', p1) + block('t2', p2));
  const daemon = new Daemon({ configFile: conf });
  t.after(() => daemon.close());
  const events: LogEvent[] = [];
  const seen: string[] = [];
  let intercepted = 0;
  daemon.claimInProcess('test', () => true);
  daemon.hooks.log.tap('test-sink', (e) => events.push(e));
  daemon.hooks.launch.tap('test-launcher', (conn): Session => {
    conn.socket!.resume();
    conn.socket!.end('ok\n');
    return { pid: 0, done: Promise.resolve({ status: 0 }), stop: () => undefined, logExit: false, counted: false };
  });
  daemon.hooks.authorize.tap('every-service', (conn) => {
    seen.push(`every:${conn.service.id}`);
  });
  daemon.hooks.authorize.tap({ name: 'only-t2', applies: (s) => s.id === 't2' }, (conn) => {
    seen.push(`only-t2:${conn.service.id}`);
    return refuse('x-t2', 'closed for t2');
  });
  daemon.hooks.authorize.intercept({ call: () => void intercepted++ });
  await daemon.start(await daemon.loadConfig());

  assert.equal((await exchange(p1)).toString(), 'ok\n');
  assert.equal((await exchange(p2)).length, 0);
  const fail = await waitFor('FAIL of t2', () => events.find((e) => e.kind === 'fail' && e.conn.service.id === 't2'));
  if (fail.kind === 'fail') assert.deepEqual(fail.refusal, { code: 'x-t2', detail: 'closed for t2', by: 'only-t2' });
  assert.deepEqual(seen, ['every:t1', 'every:t2', 'only-t2:t2']);
  assert.equal(intercepted, 2, 'a call interceptor sees the calls of every service');

  // A tap added while the daemon runs joins the pipelines of the services it applies to.
  daemon.hooks.authorize.tap({ name: 'late-t1', applies: (s) => s.id === 't1' }, () => refuse('x-late', 'tapped later'));
  assert.equal((await exchange(p1)).length, 0);
  const late = await waitFor('FAIL of t1', () => events.find((e) => e.kind === 'fail' && e.conn.service.id === 't1'));
  if (late.kind === 'fail') assert.equal(late.refusal.by, 'late-t1');
});
