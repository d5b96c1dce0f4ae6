import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { AppConfig } from '@app/config';
import { redactPii } from '@app/privacy';

/** Paths pino blanks in every log line: credentials must never reach the logs. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.apiKey',
  '*.api_key',
  '*.password',
  'openai.apiKey',
  'adminApiKey',
  '*.secretAccessKey',
  'blobStore.s3.secretAccessKey',
];

/** Nested fields walked when redacting personal data: log objects are shallow, errors one level down. */
const MAX_PII_DEPTH = 4;

function withoutPii(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactPii(value);
  if (depth >= MAX_PII_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => withoutPii(item, depth + 1));
  // Message and stack are not enumerable: copy them as pino's error serializer would, redacted.
  if (value instanceof Error) {
    const fields = withoutPii({ ...value }, depth) as Record<string, unknown>;
    return { type: value.name, message: redactPii(value.message), stack: value.stack ? redactPii(value.stack) : undefined, ...fields };
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutPii(item, depth + 1)]));
}

/** An app's logger as its configuration asks for it (LOG_LEVEL, REDACT_PII): Nest's own lines and the app's alike. */
export function createAppLogger(config: AppConfig, name: string): Logger {
  return createLogger(config.logLevel, name, { redactPii: config.security.redactPii });
}

/**
 * The process's pino logger. With `redactPii` (REDACT_PII, on by default), emails, phone numbers, cards and
 * IBANs are masked in every message and string field, since messages may quote user input such as questions.
 */
export function createLogger(level: string, name: string, options: { redactPii?: boolean; destination?: pino.DestinationStream } = {}): Logger {
  const settings: pino.LoggerOptions = {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(options.redactPii
      ? {
          formatters: { log: (object: Record<string, unknown>) => withoutPii(object, 0) as Record<string, unknown> },
          hooks: {
            logMethod(this: Logger, args: Parameters<Logger['info']>, method: Logger['info']) {
              return method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactPii(arg) : arg)) as Parameters<Logger['info']>);
            },
          },
        }
      : {}),
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** Routes Nest's own log calls (bootstrap, module init) into the same structured pino stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
