export * from './hash-chain';
export * from './audit-recorder';
export * from './audit.module';
