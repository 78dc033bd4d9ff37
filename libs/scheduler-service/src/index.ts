export * from './event-applier';
export * from './retry-policy';
export * from './dispatch';
export * from './scheduler-consumer';
export * from './due-dispatcher';
export * from './scheduler.module';
