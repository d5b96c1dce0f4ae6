import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidIban, passesLuhn, redactPii } from './pii-redaction';

test('emails, phone numbers, Luhn-valid cards and valid IBANs are redacted', () => {
  const text =
    'Mail jane.doe+hr@example.co.uk or call +44 20 7946 0958 / (030) 1234-5678. ' +
    'Card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, also DE89370400440532013000.';
  assert.equal(
    redactPii(text),
    'Mail [email] or call [phone] / [phone]. Card [card], IBAN [iban], also [iban].',
  );
});

test('look-alikes that fail their checksum, and ordinary numbers, are kept', () => {
  const text = 'Order 4111 1111 1111 1112 shipped in 2026, room 12, version 1.2.3, IBAN GB00WEST12345698765432.';
  assert.equal(redactPii(text), text);
});

test('Luhn and IBAN checks', () => {
  assert.equal(passesLuhn('4111111111111111'), true);
  assert.equal(passesLuhn('4111111111111112'), false);
  assert.equal(passesLuhn('123'), false);
  assert.equal(isValidIban('GB82WEST12345698765432'), true);
  assert.equal(isValidIban('GB82WEST12345698765433'), false);
});
