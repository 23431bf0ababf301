import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { bytesFromText, textFromBytes } from '../../core/raw-text.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('valid UTF-8 decodes as Node decodes it (a BOM, astral characters and U+FFFD included)', () => {
  const bytes = Buffer.from('\uFEFFcafé 😀 \uFFFD', 'utf8');
  assert.equal(textFromBytes(bytes), bytes.toString('utf8'));
  assert.equal(hex(bytesFromText(textFromBytes(bytes))), hex(bytes));
});

test('every byte of an invalid sequence is kept, one escape per byte', () => {
  const cases: [string, string][] = [
    ['e9', '\uDCE9'], // Latin-1 é
    ['c080', '\uDCC0\uDC80'], // overlong NUL
    ['eda080', '\uDCED\uDCA0\uDC80'], // an encoded surrogate
    ['e282', '\uDCE2\uDC82'], // truncated
    ['f4908080', '\uDCF4\uDC90\uDC80\uDC80'], // above U+10FFFF
    ['41e942c3a9', 'A\uDCE9Bé'], // mixed with valid text
  ];
  for (const [input, text] of cases) {
    assert.equal(textFromBytes(Buffer.from(input, 'hex')), text, input);
    assert.equal(hex(bytesFromText(text)), input, input);
  }
});

test('any bytes survive the round trip', () => {
  for (let i = 0; i < 2000; i++) {
    const bytes = randomBytes(1 + (i % 64));
    const text = textFromBytes(bytes);
    assert.ok(!text.includes('\uFFFD') || bytes.includes(Buffer.from('\uFFFD', 'utf8')), hex(bytes));
    assert.equal(hex(bytesFromText(text)), hex(bytes));
  }
});
