/**
 * The jobs table's filters: kept in the console URL (so a filtered view is a link) and turned into
 * the query of GET /v1/jobs. Time presets become createdAfter relative to "now".
 */
import { JOB_STATES, type JobState } from './types';

export const TIME_PRESETS = {
  '': 0,
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 604_800_000,
};
export type TimePreset = keyof typeof TIME_PRESETS;

export interface JobFilters {
  state: JobState | '';
  type: string;
  pool: string;
  /** `key:value` pairs, all must match. */
  labels: string[];
  within: TimePreset;
  /** datetime-local strings (the user's local time), used when `within` is empty. */
  from: string;
  to: string;
}

export const EMPTY_FILTERS: JobFilters = {
  state: '',
  type: '',
  pool: '',
  labels: [],
  within: '',
  from: '',
  to: '',
};

export function filtersFromSearch(search: string): JobFilters {
  const q = new URLSearchParams(search);
  const state = q.get('state') ?? '';
  const within = q.get('within') ?? '';
  return {
    state: (JOB_STATES as readonly string[]).includes(state) ? (state as JobState) : '',
    type: q.get('type') ?? '',
    pool: q.get('pool') ?? '',
    labels: q.getAll('label').filter((l) => l.includes(':')),
    within: within in TIME_PRESETS ? (within as TimePreset) : '',
    from: q.get('from') ?? '',
    to: q.get('to') ?? '',
  };
}

export function filtersToSearch(f: JobFilters): string {
  const q = new URLSearchParams();
  if (f.state) q.set('state', f.state);
  if (f.type) q.set('type', f.type);
  if (f.pool) q.set('pool', f.pool);
  for (const label of f.labels) q.append('label', label);
  if (f.within) q.set('within', f.within);
  else {
    if (f.from) q.set('from', f.from);
    if (f.to) q.set('to', f.to);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Labels typed as `team:a, env:prod` (commas or spaces). */
export function parseLabels(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((l) => l.trim())
    .filter((l) => /^[^:]+:.+$/.test(l));
}

export function apiJobQuery(f: JobFilters, now: number, cursor: string | null, limit: number): string {
  const q = new URLSearchParams();
  if (f.state) q.set('state', f.state);
  if (f.type) q.set('type', f.type);
  if (f.pool) q.set('pool', f.pool);
  for (const label of f.labels) q.append('label', label);
  if (f.within) q.set('createdAfter', new Date(now - TIME_PRESETS[f.within]).toISOString());
  else {
    const from = localToIso(f.from);
    const to = localToIso(f.to);
    if (from) q.set('createdAfter', from);
    if (to) q.set('createdBefore', to);
  }
  if (cursor) q.set('cursor', cursor);
  q.set('limit', String(limit));
  return `?${q.toString()}`;
}

function localToIso(local: string): string | null {
  if (!local) return null;
  const t = new Date(local).getTime(); // datetime-local has no zone: the browser's local time
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/** Whether a live event's job could belong on the current (filtered) first page. */
export function eventMatches(f: JobFilters, jobType: string | undefined, pool: string | undefined): boolean {
  if (f.state && f.state !== 'queued') return false; // a new job starts queued
  if (f.type && jobType !== f.type) return false;
  if (f.pool && pool !== f.pool) return false;
  if (f.labels.length > 0) return false; // the event carries no labels: wait for a manual refresh
  return !f.to;
}
