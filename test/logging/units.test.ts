import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Connection } from '../../core/connection.js';
import type { ServiceConfig } from '../../core/service-config.js';
import { defaultHardLimit, parseLogType, parseSyslogServer } from '../../plugins/logging/attributes.js';
import { fileTimestamp, formatRecord, IDONLY_REFUSAL } from '../../plugins/logging/format.js';
import { identQuery, parseIdentReply } from '../../plugins/logging/ident/ident-reply.js';
import { capRecord, sizeCaps, SizeTracker } from '../../core/log-file/size-caps.js';
import { localSyslogLine } from '../../plugins/logging/syslog-sink.js';
import { RepeatedStart } from '../../plugins/logging/repeated-start.js';
import { DGRAM_IGNORE_MS, RepeatedDgramFail } from '../../plugins/logging/repeated-dgram-fail.js';

const conn = (peer?: string) => ({ id: 1, service: { id: 'svc' } as ServiceConfig, state: { config: { id: 'svc' } }, peer: peer ? { address: peer, port: 5 } : undefined } as unknown as Connection);
const all = { success: new Set(['PID', 'HOST', 'EXIT', 'DURATION', 'TRAFFIC']), failure: new Set(['HOST']) };

test('records in xinetd\'s order and spelling (reference 9.1)', () => {
  const c = conn('::ffff:10.0.0.1');
  assert.equal(formatRecord({ kind: 'start', conn: c, pid: 7, time: 0 }, all), 'START: svc pid=7 from=::ffff:10.0.0.1');
  assert.equal(formatRecord({ kind: 'exit', conn: c, pid: 7, status: 2, durationMs: 2999, time: 0 }, all), 'EXIT: svc status=2 pid=7 duration=2(sec)');
  assert.equal(formatRecord({ kind: 'exit', conn: c, pid: 7, signal: 9, durationMs: 0, time: 0 }, all), 'EXIT: svc signal=9 pid=7 duration=0(sec)');
  assert.equal(formatRecord({ kind: 'exit', conn: c, pid: 7, status: 0, durationMs: 0, time: 0 }, { success: new Set(['PID']), failure: new Set() }), undefined);
  assert.equal(formatRecord({ kind: 'fail', conn: conn(), refusal: { code: 'connections per second' }, time: 0 }, all), 'FAIL: svc connections per second from=<no address>');
  assert.equal(formatRecord({ kind: 'fail', conn: c, refusal: { code: 'per_source_limit' }, time: 0 }, { success: new Set(), failure: new Set(['ATTEMPT']) }), 'FAIL: svc per_source_limit');
  assert.equal(formatRecord({ kind: 'fail', conn: c, refusal: { code: 'service_limit' }, time: 0 }, { success: new Set(), failure: new Set() }), undefined);
  assert.equal(formatRecord({ kind: 'fail', conn: c, refusal: { code: IDONLY_REFUSAL, detail: 'timeout' }, time: 0 }, { success: new Set(['USERID']), failure: new Set() }), 'NOID: svc ::ffff:10.0.0.1 timeout');
  assert.equal(formatRecord({ kind: 'traffic', conn: c, in: 11, out: 12, time: 0 }, all), 'TRAFFIC: svc in=11(bytes) out=12(bytes)');
  assert.equal(formatRecord({ kind: 'userid', conn: c, text: 'UNIX : alice', time: 0 }, all), 'USERID: svc UNIX : alice');
  assert.equal(fileTimestamp(new Date(2026, 2, 5, 7, 4, 9).getTime()), '26/3/5@07:04:09');
});

test('log_type and syslog_server values', () => {
  assert.deepEqual(parseLogType(['FILE', '/var/log/x', '100K']), { kind: 'file', path: '/var/log/x', soft: 102400, hard: 102400 + 5 * 1024 });
  assert.equal(defaultHardLimit(10 * 1024 * 1024), 10 * 1024 * 1024 + 20 * 1024);
  assert.equal(defaultHardLimit(1024 * 1024), 1024 * 1024 + Math.floor(1024 * 1024 / 100));
  assert.throws(() => parseLogType(['FILE', '/x', '2K', '1K']), /hard limit \(1024\) is less than soft limit \(2048\)/);
  assert.deepEqual(parseLogType(['SYSLOG', 'authpriv']), { kind: 'syslog', facility: 10, level: 6, facilityName: 'authpriv', levelName: 'info' });
  assert.throws(() => parseLogType(['SYSLOG', 'bogus']), /Unknown syslog facility: bogus/);
  // Found by fuzzing: names of Object.prototype were facilities (the value an object or a function).
  assert.throws(() => parseLogType(['SYSLOG', 'constructor']), /Unknown syslog facility: constructor/);
  assert.throws(() => parseLogType(['SYSLOG', '__proto__', 'info']), /Unknown syslog facility: __proto__/);
  assert.deepEqual(parseSyslogServer(['tcp://[::1]:6514', 'RFC5424']), { transport: 'tcp', host: '::1', port: 6514, format: 'rfc5424', key: 'tcp://[::1]:6514 rfc5424' });
  assert.equal(parseSyslogServer(['udp://logs.example']).port, 514);
  assert.throws(() => parseSyslogServer(['http://x']), /udp:\/\/ or tcp:\/\//);
});

test('ident query and reply parsing (reference 14)', () => {
  assert.equal(identQuery(50664, 7006), '50664,7006\r\n');
  assert.equal(parseIdentReply(' 50664 , 7006 : USERID : UNIX : alice', 50664, 7006), 'UNIX : alice');
  assert.equal(parseIdentReply('50664,7006:USERID:UNIX:root', 50664, 7006), 'UNIX:root');
  assert.equal(parseIdentReply('50664,7006:USERID: UNIX : some user \t ', 50664, 7006), 'UNIX : some user', 'blanks around the text go');
  assert.equal(parseIdentReply('50664,7006:USERID:UNIX:\xa0x\xa0', 50664, 7006), 'UNIX:\xa0x\xa0', 'isspace, not \\s');
  assert.equal(parseIdentReply('50664,7006 : userid : UNIX : alice', 50664, 7006), undefined);
  assert.equal(parseIdentReply('50664,7007 : USERID : UNIX : alice', 50664, 7006), undefined);
  assert.equal(parseIdentReply('50664,7006 : ERROR : NO-USER', 50664, 7006), undefined);
});

test('size caps keep the log and its rotation within the hard limit', () => {
  const caps = sizeCaps(1024, 4096);
  const sizes = new SizeTracker(caps, 0, 0);
  let max = 0;
  for (let i = 0; i < 500; i++) {
    sizes.wrote(capRecord(`${'x'.repeat(i % 700)}\n`, caps.maxRecord).length);
    max = Math.max(max, sizes.total);
  }
  assert.ok(max <= 4096, `max ${max}`);
  assert.equal(capRecord(`${'y'.repeat(5000)}\n`, caps.maxRecord).length <= caps.maxRecord, true);
  assert.match(capRecord(`${'y'.repeat(5000)}\n`, caps.maxRecord).toString(), /\.\.\.\n$/);
});

test('local syslog line as syslog(3) writes it', () => {
  const line = localSyslogLine(30, new Date(2025, 10, 1, 9, 5, 7).getTime(), 'xinetd', 'START: x');
  assert.equal(line, `<30>Nov  1 09:05:07 xinetd[${process.pid}]: START: x`);
});

test('a START record is reused only for the same pid, address and second', () => {
  const last = new RepeatedStart();
  const a = conn('::1');
  const b = conn('::ffff:127.0.0.2');
  const at = new Date(2026, 2, 5, 7, 4, 9).getTime();
  assert.equal(last.repeats({ kind: 'start', conn: a, pid: 0, time: at }), false, 'nothing remembered yet');
  last.remember({ kind: 'start', conn: a, pid: 0, time: at }, 'START: svc pid=0 from=::1', '26/3/5@07:04:09: START: svc pid=0 from=::1\n');
  assert.equal(last.repeats({ kind: 'start', conn: a, pid: 0, time: at + 999 }), true, 'same second');
  assert.equal(last.repeats({ kind: 'start', conn: a, pid: 0, time: at + 1000 }), false, 'next second: a new timestamp');
  assert.equal(last.repeats({ kind: 'start', conn: b, pid: 0, time: at }), false, 'another address');
  assert.equal(last.repeats({ kind: 'start', conn: a, pid: 7, time: at }), false, 'another pid');
  assert.equal(last.repeats({ kind: 'exit', conn: a, pid: 0, durationMs: 0, time: at }), false, 'not a START record');
  assert.equal(last.repeats({ kind: 'start', conn: conn(), pid: 0, time: at }), false, 'no address');
  last.remember({ kind: 'exit', conn: b, pid: 0, durationMs: 0, time: at }, 'EXIT', 'EXIT\n');
  assert.equal(last.fileText, '26/3/5@07:04:09: START: svc pid=0 from=::1\n', 'other records are not remembered');
});

test('repeated address refusals of datagrams: one source per service, 60 s from the logged one (DGRAM_IGNORE_TIME)', () => {
  const last = new RepeatedDgramFail();
  const from = (port: number, socketType = 'dgram') =>
    ({ id: 1, service: { id: 'svc', socketType } as ServiceConfig, peer: { address: '::ffff:127.0.0.2', port } } as unknown as Connection);
  const fail = (conn: Connection, time: number, code: 'address' | 'libwrap' | 'time' = 'address') => last.silences({ kind: 'fail', conn, refusal: { code }, time });
  const a = from(21999);
  assert.equal(fail(a, 0), false, 'first');
  assert.equal(fail(a, 1000), true, 'same source');
  assert.equal(fail(a, DGRAM_IGNORE_MS - 1), true, 'a silenced repeat does not extend the window');
  assert.equal(fail(a, DGRAM_IGNORE_MS), false, '60 s after the logged one');
  assert.equal(fail(a, DGRAM_IGNORE_MS + 1), true, 'the window starts again');
  assert.equal(fail(from(21998), DGRAM_IGNORE_MS + 2), false, 'another port');
  assert.equal(fail(a, DGRAM_IGNORE_MS + 3), false, 'back: only the last source is remembered');
  assert.equal(fail(a, DGRAM_IGNORE_MS + 4, 'libwrap'), false, 'libwrap refusals are always logged');
  assert.equal(fail(a, DGRAM_IGNORE_MS + 5, 'time'), false, 'access_times refusals are always logged');
  assert.equal(fail(a, DGRAM_IGNORE_MS + 6), true, 'other reasons leave the remembered source alone');
  assert.equal(last.silences({ kind: 'start', conn: a, pid: 0, time: DGRAM_IGNORE_MS + 7 }), false, 'not a FAIL record');
  const s = from(21999, 'stream');
  assert.equal(fail(s, 0), false);
  assert.equal(fail(s, 1), false, 'stream services log every refusal');
});
