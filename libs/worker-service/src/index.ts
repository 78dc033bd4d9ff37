export * from './handler';
export * from './handlers';
export * from './worker-runtime';
export * from './worker.module';
