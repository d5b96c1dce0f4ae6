import { AppError } from '@app/errors';

export class UnauthorizedError extends AppError {
  constructor(message: string) {
    super('unauthorized', message, 401);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('forbidden', message, 403);
  }
}
