import { AppError } from '@app/errors';

/** A pagination cursor that did not come from this API (or from another list). */
export class InvalidCursorError extends AppError {
  constructor() {
    super('invalid_cursor', 'The cursor is not one this API returned.', 400);
  }
}
