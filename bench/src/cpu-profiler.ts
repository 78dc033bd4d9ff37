import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * Preloaded into each stack process by `pnpm bench --cpu-prof DIR` (NODE_OPTIONS=--require, since
 * node refuses --cpu-prof there): profiles the whole process life and writes
 * DIR/<SERVICE>-<pid>.cpuprofile when it exits. The main-thread session answers synchronously, so
 * this works inside the 'exit' handler.
 */
const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  const name = (process.argv[1] ?? 'node').replace(/^.*\/apps\/([^/]+)\/.*$/, '$1');
  process.on('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
