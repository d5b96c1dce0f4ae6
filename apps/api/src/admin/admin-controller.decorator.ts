import { applyDecorators, Controller, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AdminKeyGuard } from './admin-key.guard';

/** A controller under `path` that only an admin key may call, documented as such in OpenAPI. */
export function AdminController(path: string): ClassDecorator {
  return applyDecorators(
    Controller(path),
    UseGuards(AdminKeyGuard),
    ApiTags('admin'),
    ApiBearerAuth('admin'),
    ApiUnauthorizedResponse({ description: '`unauthorized`: no admin key, or not a valid one' }),
  );
}
