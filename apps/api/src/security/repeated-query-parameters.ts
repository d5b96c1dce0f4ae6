import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ValidationError } from '@app/errors';

/**
 * No query parameter of this API takes several values, but Express parses `?limit=1&limit=2` into an array, which
 * then failed every rule of the field at once ("limit must not be greater than 100, must not be less than 1, must
 * be an integer"). Refused here, saying what is wrong.
 */
@Injectable()
export class RefuseRepeatedQueryParameters implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'query' || typeof value !== 'object' || value === null) return value;
    const repeated = Object.keys(value).filter((name) => Array.isArray((value as Record<string, unknown>)[name]));
    if (repeated.length === 0) return value;
    const details = repeated.map((field) => ({ field, problems: [`${field} is given more than once`] }));
    throw new ValidationError(`${details.map((d) => d.problems[0]).join('; ')}.`, details);
  }
}
