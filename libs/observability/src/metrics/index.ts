export * from './api.metrics';
export * from './model.metrics';
export * from './registries';
export * from './shared.metrics';
export * from './worker.metrics';
