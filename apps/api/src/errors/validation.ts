import { ValidationError as ClassValidatorError, ValidationPipe } from '@nestjs/common';
import { ValidationError } from '@app/errors';

function flatten(errors: ClassValidatorError[], parent = ''): { field: string; problems: string[] }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    // A required field left out fails every rule it has ("must be a string, must be longer than…"): say what is wrong.
    const problems = error.value === undefined ? [`${field} is required`] : Object.values(error.constraints ?? {});
    const own = error.constraints ? [{ field, problems }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Turns class-validator results into one ValidationError listing every bad field. */
export function toValidationError(errors: ClassValidatorError[]): ValidationError {
  const details = flatten(errors);
  return new ValidationError(details.map((d) => d.problems.join(', ')).join('; ') || 'Invalid request.', details);
}

/** Strict boundary validation: unknown fields are rejected, values are converted to the DTO's types. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: toValidationError,
  });
}
