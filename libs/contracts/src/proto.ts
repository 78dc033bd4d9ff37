import { join } from 'node:path';

/**
 * The gRPC contract (`proto/jobs.proto`, shipped in dist next to this file) and the codecs both ends
 * need with @grpc/proto-loader: JSON <-> google.protobuf.Value, ISO time <-> google.protobuf.Timestamp.
 */
export const JOBS_PROTO_PATH = join(__dirname, 'proto', 'jobs.proto');
export const GRPC_PACKAGE = 'jobplane.v1';
export const GRPC_JOB_SERVICE = `${GRPC_PACKAGE}.JobService`;

/** Loader options both server and clients use: camelCase fields, enums by name, int64 as number. */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
} as const;

/** google.protobuf.Value in proto-loader's object form. */
export interface ProtoValue {
  kind?: string;
  nullValue?: string | number;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: { fields?: Record<string, ProtoValue> };
  listValue?: { values?: ProtoValue[] };
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function toProtoValue(v: unknown): ProtoValue {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toProtoValue) } };
  if (typeof v === 'object') {
    const fields: Record<string, ProtoValue> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) fields[k] = toProtoValue(x);
    return { structValue: { fields } };
  }
  throw new TypeError(`not JSON: ${typeof v}`);
}

/** The JSON a Value holds; an unset Value (no kind) is undefined. */
export function fromProtoValue(v: ProtoValue | null | undefined): Json | undefined {
  if (!v) return undefined;
  if (v.structValue !== undefined) {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v.structValue.fields ?? {})) out[k] = fromProtoValue(x) ?? null;
    return out;
  }
  if (v.listValue !== undefined) return (v.listValue.values ?? []).map((x) => fromProtoValue(x) ?? null);
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.numberValue !== undefined) return v.numberValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.nullValue !== undefined) return null;
  return undefined;
}

export interface ProtoTimestamp {
  seconds?: number | string;
  nanos?: number;
}

export function toProtoTimestamp(iso: string | null | undefined): ProtoTimestamp | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return { seconds: Math.floor(ms / 1000), nanos: (((ms % 1000) + 1000) % 1000) * 1_000_000 };
}

export function fromProtoTimestamp(t: ProtoTimestamp | null | undefined): string | undefined {
  if (!t) return undefined;
  return new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1_000_000)).toISOString();
}
