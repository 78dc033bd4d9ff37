/** Formatting shared by the pages; pure, so unit-tested. */
import type { RateLimit } from './types';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m - h * 60} min`;
  const d = Math.floor(h / 24);
  return `${d} d ${h - d * 24} h`;
}

/** "12 s ago", "in 3 min": for heartbeats, next runs and table times. */
export function formatRelative(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const diff = t - now;
  if (Math.abs(diff) < 1000) return 'now';
  const text = formatDuration(Math.abs(diff)).replace(/ \d+ (s|min|h)$/, '');
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

/** Local date and time to the second, e.g. 2026-11-22 14:03:09. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  );
}

export function formatRate(rate: RateLimit | null): string {
  if (!rate) return 'unlimited';
  const per = rate.perMs === 1000 ? 's' : rate.perMs === 60_000 ? 'min' : formatDuration(rate.perMs);
  return `${rate.max} / ${per}`;
}

export function formatJson(value: unknown): string {
  if (value === undefined) return '—';
  return JSON.stringify(value, null, 2);
}

/** The percent of a progress report, clamped to 0..100, or null when the job did not report one. */
export function progressPercent(progress: { percent?: number } | null | undefined): number | null {
  const p = progress?.percent;
  if (typeof p !== 'number' || !Number.isFinite(p)) return null;
  return Math.min(100, Math.max(0, p));
}

export function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}
