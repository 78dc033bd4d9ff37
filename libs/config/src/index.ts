export * from './variables';
export * from './load-config';
export * from './config-docs';
export * from './pool-specs';
