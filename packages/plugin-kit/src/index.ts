export * from './findings';
export * from './schema-checks';
export * from './loss-checks';
export * from './transform-checks';
export * from './scheduler-checks';
export * from './conformance';
export { readyBackend } from './tfjs-setup';
export * from './scaffold';
