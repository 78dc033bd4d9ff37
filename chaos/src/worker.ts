// The chaos worker: serves the probe job types (ledger in CHAOS_LEDGER_URL / CHAOS_LEDGER_SCHEMA).
import { startWorker } from '@jobplane/worker-sdk';
import { isolatedProbe, probe } from './probe';

startWorker({ handlers: [probe, isolatedProbe] }).catch((err) => {
  console.error(err);
  process.exit(1);
});
