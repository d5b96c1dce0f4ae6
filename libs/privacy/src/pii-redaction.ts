/**
 * Redacts personal data from free text before it is logged or stored: email addresses, phone numbers,
 * payment card numbers (only digit runs that pass the Luhn check, so order numbers survive) and IBANs
 * (only those whose mod-97 checksum holds).
 */
export function redactPii(text: string): string {
  return text
    .replace(EMAIL, '[email]')
    .replace(IBAN, (match) => (isValidIban(match) ? '[iban]' : match))
    .replace(CARD, (match) => (passesLuhn(match.replace(/[ -]/g, '')) ? '[card]' : match))
    .replace(PHONE, (match) => (isPhoneLength(digitCount(match)) ? '[phone]' : match));
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// Two letters, two check digits, then 11-30 alphanumerics, optionally grouped by spaces.
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}\b/g;
// 13-19 digits, optionally grouped by spaces or dashes.
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;
// An optional +country code, then digit groups separated by spaces, dots, dashes or parentheses.
const PHONE = /(?<![\w.])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\w]|\.\d)/g;

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
