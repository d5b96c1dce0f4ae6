export * from './pii-redaction';
