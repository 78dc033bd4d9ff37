// A custom worker: its own handlers, the pools from WORKER_POOLS (default: the handlers' pool).
import { startWorker } from '@jobplane/worker-sdk';
import { checksum, wordCount } from './handlers';

startWorker({ handlers: [wordCount, checksum] }).catch((err) => {
  console.error(err);
  process.exit(1);
});
