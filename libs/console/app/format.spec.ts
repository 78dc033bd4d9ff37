import { formatDuration, formatRate, formatRelative, formatTime, progressPercent, shortId } from './format';

describe('format', () => {
  it('formats durations at a useful precision for each scale', () => {
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(1500)).toBe('1.5 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(3 * 3_600_000 + 7 * 60_000)).toBe('3 h 7 min');
    expect(formatDuration(50 * 3_600_000)).toBe('2 d 2 h');
    expect(formatDuration(-1)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
  });

  it('says how long ago or how soon, dropping the smaller unit', () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    expect(formatRelative('2026-11-22T11:59:48Z', now)).toBe('12 s ago');
    expect(formatRelative('2026-11-22T12:03:30Z', now)).toBe('in 3 min');
    expect(formatRelative('2026-11-22T12:00:00.400Z', now)).toBe('now');
    expect(formatRelative(null, now)).toBe('—');
    expect(formatRelative('not a date', now)).toBe('—');
  });

  it('prints local times to the second', () => {
    expect(formatTime('2026-11-22T12:00:09Z')).toMatch(/^2026-11-2\d \d\d:\d\d:09$/);
    expect(formatTime(undefined)).toBe('—');
  });

  it('names rate limits per second or minute', () => {
    expect(formatRate(null)).toBe('unlimited');
    expect(formatRate({ max: 5, perMs: 1000 })).toBe('5 / s');
    expect(formatRate({ max: 100, perMs: 60_000 })).toBe('100 / min');
    expect(formatRate({ max: 3, perMs: 5000 })).toBe('3 / 5.0 s');
  });

  it('clamps progress and tells "no report" apart from 0 %', () => {
    expect(progressPercent({ percent: 42.5 })).toBe(42.5);
    expect(progressPercent({ percent: 140 })).toBe(100);
    expect(progressPercent({ percent: -3 })).toBe(0);
    expect(progressPercent({})).toBeNull();
    expect(progressPercent(null)).toBeNull();
  });

  it('shortens ids but keeps both ends', () => {
    expect(shortId('0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b')).toBe('0193a1b2…4a5b');
    expect(shortId('abc')).toBe('abc');
  });
});
