export * from './eventually';
export * from './http-client';
export * from './processes';
export * from './stack';
export * from './tcp-outage';
