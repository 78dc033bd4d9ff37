export * from './audit-entry';
export * from './audit-recorder';
export * from './audit-trail';
export * from './audit.module';
export * from './hash-chain';
export * from './audit-retention';
export * from './audit-verifier';
export * from './audit-metrics';
