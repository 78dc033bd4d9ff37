export * from './grpc-server';
export * from './jobs-port';
export * from './status';
export * from './grpc.providers';
