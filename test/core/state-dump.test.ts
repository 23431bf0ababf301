/**
 * Formats of the SIGUSR1 dump that the end-to-end test (test/lifecycle/signals.test.ts) cannot
 * reach on every run: ctime's space-padded day, address entries of every kind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ctime } from '../../core/ctime.js';
import { parseAddressList } from '../../plugins/access/address-match.js';
import { addressListLine } from '../../plugins/access/dump.js';

test('ctime pads a one-digit day with a space, as C does', () => {
  assert.equal(ctime(new Date(2026, 10, 2, 7, 5, 3)), 'Mon Nov  2 07:05:03 2026');
  assert.equal(ctime(new Date(2026, 10, 22, 17, 10, 13)), 'Sun Nov 22 17:10:13 2026');
});

test('address lists are dumped with xinetd\'s kinds', () => {
  const list = (...tokens: string[]) => parseAddressList(tokens, undefined, undefined, () => undefined);
  assert.equal(
    addressListLine('Only from', list('10.0.0.0', '192.168.1.0/24', '10.1.2.0/255.255.255.0', '1.2.{3,4}', 'localhost', '.example.com', '::1', 'fe80::/10'), 'All sites'),
    'Only from:  10.0.0.0(NUMERIC) 192.168.1.0/255.255.255.0(NET) 10.1.2.0/255.255.255.255(NET) 1.2.3.0(NUMERIC) 1.2.4.0(NUMERIC)'
      + ' localhost(HOST) .example.com(HOST) ::1(NUMERIC) fe80::/ffc0::(NET)',
  );
  assert.equal(addressListLine('Only from', undefined, 'All sites'), 'Only from: All sites');
  assert.equal(addressListLine('Only from', list(), 'All sites'), 'Only from: No sites (empty list)');
});
