import { buildMessage, ValidateBy, ValidationOptions } from 'class-validator';

/** `text`'s length as PostgreSQL's length() counts it: code points (a surrogate pair is one). */
export function codePointLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--;
        i++;
      }
    }
  }
  return length;
}

/**
 * A string of at most `max` characters as PostgreSQL counts them, for a field a column's CHECK bounds too.
 * class-validator's MaxLength leaves the emoji presentation selectors (U+FE0E, U+FE0F) out of its count: 400
 * characters of "a\uFE0F" passed a limit of 200, and the column's check refused them, a 500.
 */
export function MaxChars(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxChars',
      constraints: [max],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && codePointLength(value) <= max,
        defaultMessage: buildMessage((each) => `${each}$property must be shorter than or equal to $constraint1 characters`, options),
      },
    },
    options,
  );
}
