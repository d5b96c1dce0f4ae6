import { applyDecorators, Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../auth/auth.decorators';

/** A controller under `path` that only an admin key may call, documented as such in OpenAPI. */
export function AdminController(path: string): ClassDecorator {
  return applyDecorators(Controller(path), RequireRole('admin'), ApiTags('admin'));
}
