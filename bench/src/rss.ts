import { readFileSync } from 'node:fs';

/** Resident set size of a process in MB, from /proc (Linux), or NaN when it is gone. */
export function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
  } catch {
    return NaN;
  }
}

/** Samples the RSS of named processes every `everyMs` until stopped; reports each one's peak. */
export function sampleRss(pids: Record<string, number | undefined>, everyMs = 250) {
  const peak: Record<string, number> = {};
  const series: Record<string, { x: number; y: number }[]> = {};
  const t0 = Date.now();
  const tick = () => {
    for (const [name, pid] of Object.entries(pids)) {
      const mb = rssMb(pid);
      if (Number.isNaN(mb)) continue;
      peak[name] = Math.max(peak[name] ?? 0, mb);
      (series[name] ??= []).push({ x: (Date.now() - t0) / 60_000, y: mb });
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return { peak, series };
    },
  };
}

/** CPU time (user + system) a process has used so far in ms, from /proc (Linux), or NaN. */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/**
 * CPU used by each process between `start` and the returned function's call, per job: on a shared
 * machine the wall-clock rate swings with the neighbours' load, the CPU cost per job much less.
 */
export function cpuPerJob(pids: Record<string, number | undefined>) {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  return (jobs: number) =>
    Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => [k, Math.round(((cpuMs(pid) - before[k]!) / jobs) * 100) / 100]),
    );
}
