import { SampleHistory, sparklinePoints } from './sparkline';

describe('sparkline', () => {
  it('keeps the last N samples per key and forgets keys that went away', () => {
    const history = new SampleHistory(3);
    for (const v of [1, 2, 3, 4]) history.add('a', v);
    history.add('b', 9);
    expect(history.get('a')).toEqual([2, 3, 4]);
    history.retain(['a']);
    expect(history.get('b')).toEqual([]);
    expect(history.get('a')).toEqual([2, 3, 4]);
  });

  it('spreads points across the width and scales the peak to the top', () => {
    expect(sparklinePoints([0, 5, 10], 100, 20)).toBe('0,19 50,10 100,1');
  });

  it('draws a flat line at the bottom for all zeros, a single point in the middle, nothing for none', () => {
    expect(sparklinePoints([0, 0], 100, 20)).toBe('0,19 100,19');
    expect(sparklinePoints([7], 100, 20)).toBe('50,1');
    expect(sparklinePoints([], 100, 20)).toBe('');
  });

  it('treats non-finite and negative samples as zero', () => {
    expect(sparklinePoints([Number.NaN, -4, 10], 10, 12)).toBe('0,11 5,11 10,1');
  });
});
