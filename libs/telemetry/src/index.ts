export * from './logger';
export * from './metrics';
export * from './health';
export * from './nest-logger';
export * from './lifecycle';
export * from './start-stop.provider';
export * from './tracing';
