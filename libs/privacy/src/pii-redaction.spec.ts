import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { adversarialText, assertLinearTime } from '../../../test/support/linear-time';
import { isValidIban, MAX_REDACTED_CHARS, passesLuhn, redactPii, truncationMark, withoutRedactionMarks } from './pii-redaction';

test('emails, phone numbers, Luhn-valid cards and valid IBANs are redacted', () => {
  const text =
    'Mail jane.doe+hr@example.co.uk or call +44 20 7946 0958 / (030) 1234-5678. ' +
    'Card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, also DE89370400440532013000.';
  assert.equal(
    redactPii(text),
    'Mail [email] or call [phone] / [phone]. Card [card], IBAN [iban], also [iban].',
  );
});

test('withoutRedactionMarks leaves the text around the marks, and text that only looks like one', () => {
  assert.equal(withoutRedactionMarks(redactPii('mail ann@example.com or call +44 20 7946 0958 today')), 'mail   or call   today');
  assert.equal(withoutRedactionMarks('[emails] [Email] [email'), '[emails] [Email] [email');
});

test('look-alikes that fail their checksum, and ordinary numbers, are kept', () => {
  const text = 'Order 4111 1111 1111 1112 shipped in 2026, room 12, version 1.2.3, IBAN GB00WEST12345698765432.';
  assert.equal(redactPii(text), text);
});

test('dates, IPv4 addresses, versions and UUIDs are kept; phone numbers with dots or dashes are not', () => {
  const kept = [
    'changed on 2026-12-07 at 10:30',
    'am 07.12.2026 geändert',
    'from 192.168.10.20 running 10.20.30.40',
    'document 3f8761cf-0f67-4123-8456-f21326f97252',
    'job ingest-12345678-1234-4123-8456-123456789016',
  ];
  for (const text of kept) assert.equal(redactPii(text), text);
  assert.equal(redactPii('call 555.123.4567, 01.23.45.67.89 or +1-555-123-4567'), 'call [phone], [phone] or [phone]');
});

test('property: a UUID is never redacted, whatever its groups hold', () => {
  // Groups of digits only are what phone and card numbers look like; fast-check's UUIDs rarely have them.
  const digitsOrHex = (length: number) => fc.oneof(fc.stringMatching(new RegExp(`^\\d{${length}}$`)), fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`)));
  const uuid = fc.tuple(digitsOrHex(8), digitsOrHex(4), digitsOrHex(4), digitsOrHex(4), digitsOrHex(12)).map((groups) => groups.join('-'));
  fc.assert(
    fc.property(uuid, fc.constantFrom('', 'ingest-', 'delete-', 'id ', '"'), (id, prefix) => {
      const text = `${prefix}${id} ready`;
      assert.equal(redactPii(text), text);
    }),
    { numRuns: 2_000 },
  );
});

test('Luhn and IBAN checks', () => {
  assert.equal(passesLuhn('4111111111111111'), true);
  assert.equal(passesLuhn('4111111111111112'), false);
  assert.equal(passesLuhn('123'), false);
  assert.equal(isValidIban('GB82WEST12345698765432'), true);
  assert.equal(isValidIban('GB82WEST12345698765433'), false);
});

/** A card number that passes the Luhn check: `body` digits plus their check digit, grouped by four. */
function card(body: string): string {
  const checkDigit = [...'0123456789'].find((d) => passesLuhn(body + d))!;
  return (body + checkDigit).replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** Personal data of each kind, distinctive enough that filler text never contains its first half by chance. */
const pii = fc.oneof(
  fc.tuple(fc.stringMatching(/^[a-z]{6,10}$/), fc.stringMatching(/^[a-z]{6,10}$/)).map(([name, host]) => `${name}.q@${host}.example.com`),
  fc.stringMatching(/^4\d{14}$/).map(card),
  fc.stringMatching(/^\d{3} \d{4} \d{4}$/).map((number) => `+49 ${number}`),
  fc.constantFrom('GB82 WEST 1234 5698 7654 32', 'DE89370400440532013000'),
);

/** The first half of a value: what an output must not contain either, or a cut could leak part of it. */
const firstHalf = (value: string) => value.slice(0, Math.ceil(value.length / 2));

// What separates a value from the text around it. Not a plain space: "1 2 3 4 4111 1111 1111 1111" is one
// longer number, which is not a card number.
const SEPARATOR = fc.constantFrom('\n', ', ', ' | ', '; ');

test('property: no personal data survives, whatever adversarial text surrounds it', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(adversarialText(2_000), pii), { minLength: 1, maxLength: 5 }), SEPARATOR, (parts, separator) => {
      const text = parts.map(([filler, value]) => `${filler}${separator}${value}${separator}`).join('');
      const redacted = redactPii(text);
      for (const [, value] of parts) assert.ok(!redacted.includes(firstHalf(value)), `${value} in ${JSON.stringify(redacted.slice(0, 200))}`);
      // A redaction marker is at most one character longer than the shortest value it replaces ("a@b.cd").
      assert.ok(redacted.length <= Math.ceil((text.length * 7) / 6));
    }),
  );
});

test('property: a text longer than MAX_REDACTED_CHARS is cut, never inside personal data, and the cut is marked', () => {
  const filler = fc.oneof(fc.constant('Words and words '), fc.constant('1 2 3 4 '), fc.constant('x'), fc.constant(''), fc.constant('.\n'));
  fc.assert(
    fc.property(fc.integer({ min: -200, max: 50 }), fc.array(fc.tuple(filler, pii), { minLength: 1, maxLength: 12 }), SEPARATOR, (offset, parts, separator) => {
      // Values placed just before, across and after the cut-off point.
      const tail = parts.map(([f, value]) => `${f}${separator}${value}${separator}`).join('');
      const text = 'Padding text. '.repeat(Math.ceil((MAX_REDACTED_CHARS + offset) / 14)).slice(0, MAX_REDACTED_CHARS + offset) + tail + ' the end';
      const redacted = redactPii(text);
      if (text.length <= MAX_REDACTED_CHARS) return;
      const kept = redacted.match(/ …\[(\d+) more characters not shown\]$/);
      assert.ok(kept, redacted.slice(-80));
      assert.ok(redacted.length <= Math.ceil((MAX_REDACTED_CHARS * 7) / 6) + truncationMark(Number(kept[1])).length);
      // The filler here has no such 7 characters, so finding them means a cut left part of a value.
      for (const [, value] of parts) assert.ok(!redacted.includes(value.slice(0, 7)), `${value} in ${JSON.stringify(redacted.slice(-300))}`);
    }),
  );
});

test('linear time: 1 MB of adversarial text against 25 kB, the patterns themselves and as capped', () => {
  // Uncapped first: the cap alone would hide a quadratic pattern within MAX_REDACTED_CHARS.
  assertLinearTime((text) => redactPii(text, Infinity));
  assertLinearTime((text) => redactPii(text));
});
