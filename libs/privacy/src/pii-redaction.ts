/**
 * Redacts personal data from free text before it is logged or stored: email addresses, phone numbers,
 * payment card numbers (only digit runs that pass the Luhn check, so order numbers survive) and IBANs
 * (only those whose mod-97 checksum holds). Text longer than `maxChars` (MAX_REDACTED_CHARS) is cut, and the
 * cut marked; tests pass Infinity to time the patterns themselves.
 */
export function redactPii(text: string, maxChars = MAX_REDACTED_CHARS): string {
  if (text.length <= maxChars) return redactAll(text);
  const cut = safeCut(text, maxChars);
  return `${redactAll(text.slice(0, cut))}${truncationMark(text.length - cut)}`;
}

/**
 * Redaction serves log lines and stored questions (questions are at most 4,000 characters) and runs on the
 * API's event loop, so it reads at most this much of a text: a log value longer than 32 KiB is a mistake whose
 * tail is not worth keeping, and cutting it keeps the cost of one call bounded.
 */
export const MAX_REDACTED_CHARS = 32_768;

/** What replaces the cut-off tail of a text longer than MAX_REDACTED_CHARS. */
export const truncationMark = (droppedChars: number) => ` …[${droppedChars} more characters not shown]`;

/** What redactPii writes for each kind of data it removes. */
const MARKS = { email: '[email]', iban: '[iban]', card: '[card]', phone: '[phone]' } as const;
const REDACTION_MARK = new RegExp(Object.values(MARKS).map((mark) => mark.replace(/[[\]]/g, '\\$&')).join('|'), 'g');

/**
 * Redacted text without its marks: a stored conversation turn is read back to carry a follow-up's words, and
 * "[email]" became the search word "email" (and "[phone]" "phone"), words the user never asked about.
 */
export function withoutRedactionMarks(text: string): string {
  return text.replace(REDACTION_MARK, ' ');
}

function redactAll(text: string): string {
  return text
    .replace(EMAIL, MARKS.email)
    .replace(IBAN, (match) => (isValidIban(match) ? MARKS.iban : match))
    .replace(CARD, (match) => (passesLuhn(match.replace(/[ -]/g, '')) ? MARKS.card : match))
    .replace(PHONE, (match) => (isPhoneLength(digitCount(match)) && !NOT_A_PHONE.test(match) ? MARKS.phone : match));
}

// The lookbehind starts a match only at the first character of a run: otherwise a long run of address
// characters without an "@" is retried from each of its characters (quadratic).
const EMAIL = /(?<![\w%+.-])[\w%+.-]+@[\da-z.-]+\.[a-z]{2,}/gi;
// Two letters, two check digits, then 11-30 alphanumerics, optionally grouped by spaces.
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}\b/g;
// 13-19 digits, optionally grouped by spaces or dashes; not next to a dash (all-digit groups of a UUID).
const CARD = /(?<!-)\b\d(?:[ -]?\d){12,18}\b(?!-)/g;
// An optional +country code, then digit groups separated by spaces, dots, dashes or parentheses. Not next to a
// dash and more: a UUID's all-digit groups ("…-0f67-4123-8456-f213…") are not a phone number, and a log line's
// document and job ids lost them to "[phone]" (one UUID in twenty or so).
const PHONE = /(?<![\w.-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?!\w|\.\d|-\w)/g;
/**
 * Phone-shaped matches that are something else, and are kept: a date (2026-12-07, 07.12.2026) and four dotted
 * groups of up to three digits (an IPv4 address, a version). A question about what changed on a date lost the
 * date, stored and in its follow-ups, and so did every log line quoting one.
 */
const NOT_A_PHONE = /^(?:\d{4}([.-])\d{2}\1\d{2}|\d{2}([.-])\d{2}\2\d{4}|\d{1,3}(?:\.\d{1,3}){3})$/;

/** Every character any of the patterns above can match (`[\w%+.@() -]`, all ASCII); anything else ends every match. */
const PII_CHARS = new Uint8Array(128);
for (const char of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_%+.@() -') PII_CHARS[char.charCodeAt(0)] = 1;
const isPiiChar = (code: number) => code < 128 && PII_CHARS[code] === 1;
const isDigit = (code: number) => code >= 0x30 && code <= 0x39;
/**
 * The longest match that can contain a space (an IBAN in groups: 44 characters; cards and phone numbers are
 * shorter), each with a digit among its first three characters. So a space with no digit in the 48 characters
 * before it lies inside no match.
 */
const SPACED_PII_CHARS = 48;

/**
 * The largest cut (index of the first dropped character) at most `limit` that no match straddles: a character
 * no pattern can contain, or a space too far from any digit to be inside a number. Cutting anywhere else could
 * leave the first part of a card number or address in the output, unredacted. 0 when there is none. Scans back
 * from `limit`, each character at most twice (a digit found while checking a space rules out every space up to
 * SPACED_PII_CHARS after it too, so the scan goes on from that digit); it need not find the largest such cut.
 */
function safeCut(text: string, limit: number): number {
  for (let i = limit; i > 0; i--) {
    const code = text.charCodeAt(i);
    if (!isPiiChar(code)) return i;
    if (code !== 0x20) continue;
    let digit = -1;
    for (let j = i - 1; j >= Math.max(0, i - SPACED_PII_CHARS) && digit < 0; j--) {
      const before = text.charCodeAt(j);
      if (!isPiiChar(before)) return j;
      if (isDigit(before)) digit = j;
    }
    if (digit < 0) return i;
    i = digit + 1; // the loop's i-- continues at the digit itself
  }
  return 0;
}

const digitCount = (text: string) => text.replace(/\D/g, '').length;
// E.164 numbers have at most 15 digits; fewer than 7 is a year, a room, a quantity.
const isPhoneLength = (digits: number) => digits >= 7 && digits <= 15;

export function passesLuhn(digits: string): boolean {
  if (!/^\d{13,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function isValidIban(candidate: string): boolean {
  const iban = candidate.replace(/ /g, '');
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  // Letters become 10..35; the remainder is computed piecewise to stay within safe integers.
  let remainder = 0;
  for (const char of rearranged) {
    const value = char >= 'A' ? String(char.charCodeAt(0) - 55) : char;
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}
