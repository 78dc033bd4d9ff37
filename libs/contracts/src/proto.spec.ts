import { existsSync } from 'node:fs';
import { fromProtoTimestamp, fromProtoValue, JOBS_PROTO_PATH, toProtoTimestamp, toProtoValue } from './proto';

describe('proto codecs', () => {
  it('round-trips every kind of JSON through google.protobuf.Value', () => {
    const json = {
      s: 'x',
      n: 0,
      f: -1.5,
      t: true,
      no: false,
      z: null,
      list: [1, 'a', [], {}],
      deep: { a: { b: [null] } },
    };
    expect(fromProtoValue(toProtoValue(json))).toEqual(json);
    expect(fromProtoValue(toProtoValue(42))).toBe(42);
    expect(fromProtoValue(toProtoValue(null))).toBeNull();
    expect(fromProtoValue(undefined)).toBeUndefined();
  });

  it('round-trips timestamps to the millisecond', () => {
    for (const iso of ['2026-11-22T14:00:00.123Z', '1969-12-31T23:59:59.999Z']) {
      expect(fromProtoTimestamp(toProtoTimestamp(iso))).toBe(iso);
    }
    expect(toProtoTimestamp(null)).toBeUndefined();
  });

  it('points at the proto file', () => {
    expect(existsSync(JOBS_PROTO_PATH)).toBe(true);
  });
});
