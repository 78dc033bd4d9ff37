import type { JobEventView, JobView } from '@jobplane/contracts';

/** Human-readable renderings of jobs and events. */

export function jobSummary(j: JobView): string {
  const lines = [
    `${j.id}  ${j.state}${j.cancelRequested && j.state === 'running' ? ' (cancel requested)' : ''}`,
    `  type ${j.type}  pool ${j.pool}  priority ${j.priority}  attempt ${j.attempt}/${j.maxAttempts}`,
  ];
  if (j.waitReason)
    lines.push(`  waiting: ${j.waitReason}${j.position !== undefined ? ` (position ${j.position})` : ''}`);
  if (j.progress?.percent !== undefined)
    lines.push(
      `  progress ${Math.round(j.progress.percent)}%${j.progress.step ? ` ${j.progress.step}` : ''}`,
    );
  if (Object.keys(j.labels).length)
    lines.push(
      `  labels ${Object.entries(j.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  if (j.result !== null) lines.push(`  result ${JSON.stringify(j.result)}`);
  if (j.error) lines.push(`  error ${j.error.code}: ${j.error.message}`);
  lines.push(`  created ${j.createdAt}${j.finishedAt ? `  finished ${j.finishedAt}` : ''}`);
  return lines.join('\n');
}

export function jobRow(j: JobView): string {
  return [j.id, j.state.padEnd(9), j.type.padEnd(16), j.pool.padEnd(10), j.createdAt].join('  ');
}

export function eventLine(e: JobEventView): string {
  const data =
    e.data && typeof e.data === 'object' && Object.keys(e.data).length ? ` ${JSON.stringify(e.data)}` : '';
  return `${String(e.seq).padStart(4)}  ${e.occurredAt}  ${e.type}${e.attempt ? ` (attempt ${e.attempt})` : ''}${data}`;
}

/** `[#########...........]  45%  step`: fits a terminal line. */
export function progressBar(percent: number, label: string, width = 30): string {
  const p = Math.max(0, Math.min(100, percent));
  const filled = Math.round((p / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.toFixed(0).padStart(3)}%  ${label}`;
}
