export * from './wire';
export * from './job-state';
export * from './job-spec';
export * from './errors';
export * from './ids';
export * from './messages';
export * from './dto';
export * from './pools';
