export * from './app-error';
export * from './insufficient-storage';
