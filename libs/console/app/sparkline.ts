/** Client-side history of polled samples and its sparkline geometry (the API keeps no history). */
export class SampleHistory {
  private readonly series = new Map<string, number[]>();

  constructor(private readonly capacity: number) {}

  add(key: string, value: number): void {
    const values = this.series.get(key) ?? [];
    values.push(value);
    if (values.length > this.capacity) values.splice(0, values.length - this.capacity);
    this.series.set(key, values);
  }

  get(key: string): readonly number[] {
    return this.series.get(key) ?? [];
  }

  /** Forgets keys no longer present (a pool that went away). */
  retain(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const key of [...this.series.keys()]) if (!keep.has(key)) this.series.delete(key);
  }
}

/**
 * SVG polyline points for values in a width x height box: x spread evenly, y scaled so the largest
 * value touches the top (a flat zero line sits on the bottom). Empty for no values.
 */
export function sparklinePoints(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const max = Math.max(...values.map((v) => (Number.isFinite(v) ? v : 0)), 0);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const pad = 1; // keep the stroke inside the box
  return values
    .map((v, i) => {
      const value = Number.isFinite(v) ? Math.max(0, v) : 0;
      const y = max === 0 ? height - pad : height - pad - (value / max) * (height - 2 * pad);
      return `${round(values.length > 1 ? i * step : width / 2)},${round(y)}`;
    })
    .join(' ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
