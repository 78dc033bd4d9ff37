export * from './handler';
export * from './handlers';
export * from './worker-runtime';
export * from './worker.module';
export { loadDefinition } from './isolation/load-definition';
export { ISOLATE_ERRORS } from './isolation/protocol';
export * from './worker-metrics';
