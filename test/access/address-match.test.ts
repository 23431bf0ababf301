import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AttributeError } from '../../core/config/attributes.js';
import { clientAddress, parseAddressList, parseAddressToken, type AddressList } from '../../plugins/access/address-match.js';
import { intervalAt, parseAccessTimes } from '../../plugins/access/access-times.js';
import { decideAccess } from '../../plugins/access/decide.js';
import { xinetdDifferences } from '../../plugins/access/xinetd-difference.js';

const at = { file: 'x.conf', line: 7 };
const list = (...tokens: string[]): AddressList => parseAddressList(tokens, tokens.map(() => at), at, (m) => assert.fail(m));
const admits = (l: AddressList, address: string, name?: string) => decideAccess(l, undefined, clientAddress(address), name).admitted;

describe('only_from token forms (reference 5.1)', () => {
  it('numeric IPv4: trailing zero bytes make the network', () => {
    assert.equal(admits(list('10.0.0.0'), '10.200.3.4'), true);
    assert.equal(admits(list('10.0.0.0'), '11.0.0.1'), false);
    assert.equal(admits(list('128.0.12.0'), '128.0.12.99'), true);
    assert.equal(admits(list('128.0.12.0'), '128.0.13.1'), false);
    assert.equal(admits(list('127.0.0.2'), '127.0.0.2'), true);
    assert.equal(admits(list('127.0.0.2'), '127.0.0.3'), false);
  });
  it('inet_aton short forms: 128.138 is the host 128.0.0.138', () => {
    assert.equal(admits(list('128.138'), '128.0.0.138'), true);
    assert.equal(admits(list('128.138'), '128.138.1.1'), false);
    assert.equal(admits(list('0x7f.1'), '127.0.0.1'), true);
  });
  it('0.0.0.0 and 0 match every IPv4 client, mapped ones too', () => {
    assert.equal(admits(list('0.0.0.0'), '192.0.2.1'), true);
    assert.equal(admits(list('0'), '::ffff:192.0.2.1'), true);
    assert.equal(admits(list('0.0.0.0'), '::1'), false);
  });
  it('IPv4 entries match IPv4-mapped clients of dual-stack sockets', () => {
    assert.equal(admits(list('127.0.0.0/8'), '::ffff:127.0.0.5'), true);
    assert.equal(admits(list('127.0.0.0/8'), '::1'), false);
  });
  it('IPv6: exact addresses, prefixes, :: is not everything but ::/0 is', () => {
    assert.equal(admits(list('::1'), '::1'), true);
    assert.equal(admits(list('2001:db8::/32'), '2001:db8:1::5'), true);
    assert.equal(admits(list('2001:db8::/32'), '2001:db9::5'), false);
    assert.equal(admits(list('::'), '::1'), false);
    assert.equal(admits(list('::/0'), '::1'), true);
    assert.equal(admits(list('::/0'), '::ffff:10.1.1.1'), true);
    assert.equal(admits(list('::ffff:10.1.1.1'), '::ffff:10.1.1.1'), true);
  });
  it('IPv6 scopes as getaddrinfo takes them: a number or an interface, not compared (fuzz: fe80::%lo threw a RangeError)', () => {
    const cases: [token: string, client: string, admitted: boolean][] = [
      ['fe80::%lo', 'fe80::', true], ['fe80::1%lo', 'fe80::1%eth0', true], ['fe80::2%1', 'fe80::2', true], ['fe80::%lo/64', 'fe80::9%lo', true], ['::1', '::%1', false],
    ];
    for (const [token, client, admitted] of cases) assert.equal(admits(list(token), client), admitted, `${token} from ${client}`);
    // xinetd drops a scope that names no interface with `failed to parse`.
    for (const token of ['fe80::1%no-such-if', 'fe80::%a.b', 'fe80::%..', '::%1:2']) {
      const dropped: string[] = [];
      parseAddressList([token], [at], at, (m) => void dropped.push(m));
      assert.deepEqual(dropped, [`failed to parse ${token}`]);
    }
  });
  it('addr/len, and the dotted netmask read as /32 like xinetd', () => {
    assert.equal(admits(list('192.168.1.0/24'), '192.168.1.77'), true);
    assert.equal(admits(list('1.2.3.4/32'), '1.2.3.4'), true);
    const trap = list('192.168.2.0/255.255.255.0');
    assert.equal(admits(trap, '192.168.2.0'), true);
    assert.equal(admits(trap, '192.168.2.1'), false);
    assert.equal(trap.entries[0]!.kind === 'v4' && trap.entries[0]!.dottedMask, true);
  });
  it('factorized a.b.{x,y}', () => {
    const l = list('128.138.{193,194}');
    assert.equal(l.entries.length, 2);
    assert.equal(admits(l, '128.138.193.9'), true);
    assert.equal(admits(l, '128.138.194.200'), true);
    assert.equal(admits(l, '128.138.195.1'), false);
    assert.equal(admits(list('10.1.2.{3,4}'), '10.1.2.4'), true);
    assert.equal(admits(list('10.1.2.{3,4}'), '10.1.2.5'), false);
  });
  it('names and .domain compare with the reverse-looked-up name', () => {
    assert.equal(admits(list('gw.example.com'), '192.0.2.1', 'gw.example.com'), true);
    assert.equal(admits(list('GW.Example.com'), '192.0.2.1', 'gw.example.com'), true);
    assert.equal(admits(list('gw.example.com'), '192.0.2.1', undefined), false);
    assert.equal(admits(list('.example.com'), '192.0.2.1', 'a.b.example.com'), true);
    assert.equal(admits(list('.example.com'), '192.0.2.1', 'example.com'), false);
    assert.equal(admits(list('.example.com'), '192.0.2.1', 'badexample.com'), false);
  });
  it('bad tokens: a comma disables the service, garbage is dropped with failed to parse', () => {
    assert.throws(() => parseAddressToken('1.2.3.4,5.6.7.8'), (e: unknown) => e instanceof AttributeError && /has a comma in it - remove the comma/.test(e.message));
    const warnings: string[] = [];
    const l = parseAddressList(['1.2.3.4.5', 'ok.example', '300.{1}', '10.0.0.1-10.0.0.9', '192.168.1.10-20', 'gw-1.example'], undefined, at, (m) => warnings.push(m));
    // Ranges are no names (xinetd: getaddrinfo fails, `failed to parse`).
    assert.deepEqual(warnings, ['failed to parse 1.2.3.4.5', 'failed to parse 300.{1}', 'failed to parse 10.0.0.1-10.0.0.9', 'failed to parse 192.168.1.10-20']);
    assert.equal(l.entries.length, 2);
  });
  it('a factorized address that is not well formed disables the service with xinetd\'s two messages', () => {
    const fails = (token: string, bad: string) => {
      const warnings: string[] = [];
      assert.throws(() => parseAddressList([token], undefined, at, (m) => warnings.push(m)), new AttributeError(`Failed adding: ${token}`));
      assert.deepEqual(warnings, [bad], token);
    };
    fails('127.0.0.{1,}', 'Bad address: 127.0.0.{1,}. Consecutive commas');
    fails('127.0.0.{,1}', 'Bad address: 127.0.0.{,1}. Consecutive commas');
    fails('127.0.0.{}', 'Bad address: 127.0.0.{}. Consecutive commas');
    fails('127.0.{0}.1', 'Bad address: 127.0.{0}.1');
    fails('127.0.0.{1,2', 'Bad address: 127.0.0.{1,2');
    assert.equal(parseAddressList(['127.0.0.{1,3}'], undefined, at, () => assert.fail('no warning')).entries.length, 2);
  });
  it('a comma is allowed only in a closing {...} group, found in one pass (fuzz: a 16 KiB {,{,... token took minutes)', () => {
    const comma = (token: string) => assert.throws(() => parseAddressToken(token), /has a comma in it/, token);
    assert.equal(parseAddressToken('1.2.{3,4}')?.length, 2);
    assert.equal(parseAddressToken('a,{3,4}'), undefined);
    assert.equal(parseAddressToken('1.{2}.{3,4}'), undefined);
    comma('1.2.{3,4}x');
    comma('1.2.{3}4,5}');
    comma('{,}}');
    const started = performance.now();
    comma('{,'.repeat(8 * 1024));
    comma(`${'/,{'.repeat(5000)}}}`);
    assert.ok(performance.now() - started < 1000, `${performance.now() - started} ms`);
  });
});

describe('only_from / no_access decision (reference 5.3, the manual\'s rule)', () => {
  const decide = (of: AddressList | undefined, na: AddressList | undefined, address: string, name?: string) => decideAccess(of, na, clientAddress(address), name);
  it('no list: everybody; empty only_from: nobody', () => {
    assert.equal(decide(undefined, undefined, '10.0.0.1').admitted, true);
    const empty = parseAddressList([], [], at, () => undefined);
    const d = decide(empty, undefined, '10.0.0.1');
    assert.equal(d.admitted, false);
    assert.match(d.detail, /only_from is empty \(x\.conf:7\)/);
  });
  it('a more specific only_from entry beats a no_access network, and the reverse', () => {
    const d = decide(list('127.0.0.1'), list('127.0.0.0/8'), '::ffff:127.0.0.1');
    assert.equal(d.admitted, true);
    assert.match(d.detail, /only_from 127\.0\.0\.1 \(x\.conf:7\) and no_access 127\.0\.0\.0\/8/);
    assert.equal(decide(list('0.0.0.0/0'), list('127.0.0.1'), '127.0.0.1').admitted, false);
    assert.equal(decide(list('10.0.0.0/8'), list('10.1.0.0/16'), '10.1.2.3').admitted, false);
    assert.equal(decide(list('10.1.0.0/16'), list('10.0.0.0/8'), '10.1.2.3').admitted, true);
  });
  it('a name beats a domain; an exact host beats a network', () => {
    assert.equal(decide(list('gw.example.com'), list('.example.com'), '192.0.2.1', 'gw.example.com').admitted, true);
    assert.equal(decide(list('.example.com'), list('gw.example.com'), '192.0.2.1', 'gw.example.com').admitted, false);
    assert.equal(decide(list('192.0.2.0/24'), list('gw.example.com'), '192.0.2.1', 'gw.example.com').admitted, false);
  });
  it('equally specific matches are a tie, refused', () => {
    const d = decide(list('127.0.0.0/8'), list('127.0.0.0'), '127.0.0.9');
    assert.equal(d.admitted, false);
    assert.equal(!d.admitted && d.tie, true);
    const cross = decide(list('.example.com'), list('192.0.2.0/24'), '192.0.2.1', 'a.example.com');
    assert.equal(!cross.admitted && cross.tie, true);
  });
  it('check lists the pairs where xinetd 2.3.15 decides differently', () => {
    const diffs = xinetdDifferences(list('127.0.0.1', '10.0.0.0/8'), list('127.0.0.0/8', '192.168.0.0/16'));
    assert.equal(diffs.length, 1);
    assert.match(diffs[0]!, /only_from 127\.0\.0\.1 \(x\.conf:7\) is more specific than no_access 127\.0\.0\.0\/8 \(x\.conf:7\)/);
    assert.deepEqual(xinetdDifferences(list('127.0.0.0/8'), list('127.0.0.1')), []);
  });
});

describe('access_times (reference 6)', () => {
  const when = (h: number, m: number) => new Date(2026, 0, 15, h, m, 30);
  it('several intervals, both ends inclusive at minute resolution', () => {
    const t = parseAccessTimes(['7:00-12:30', '13:30-21:00']);
    assert.equal(intervalAt(t, when(12, 30))?.text, '7:00-12:30');
    assert.equal(intervalAt(t, when(12, 31)), undefined);
    assert.equal(intervalAt(t, when(21, 0))?.text, '13:30-21:00');
    assert.equal(intervalAt(t, when(6, 59)), undefined);
  });
  it('24:00 ends the day, as the manual writes it', () => {
    const t = parseAccessTimes(['12:00-24:00']);
    assert.ok(intervalAt(t, when(23, 59)));
    assert.equal(intervalAt(t, when(11, 59)), undefined);
  });
  it('rejects wrapping, impossible and malformed intervals with xinetd\'s messages', () => {
    assert.throws(() => parseAccessTimes(['22:00-02:00']), /^AttributeError: invalid time interval$/);
    assert.throws(() => parseAccessTimes(['25:00-26:00']), /^AttributeError: invalid time interval$/);
    assert.throws(() => parseAccessTimes(['24:01-24:02']), /invalid time interval/);
    assert.throws(() => parseAccessTimes(['9-17']), /incorrect time interval/);
  });
});
