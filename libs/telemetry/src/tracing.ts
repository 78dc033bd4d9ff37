import { appendFileSync } from 'node:fs';
import {
  Attributes,
  context,
  Context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

export { SpanKind, SpanStatusCode } from '@opentelemetry/api';
export type { Span } from '@opentelemetry/api';

const tracer = () => trace.getTracer('jobplane');

/** Set while an SDK started here runs: with tracing off, inSpan skips the OTel API altogether. */
let enabled = false;
const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * The SDK, loaded only when tracing is on: it costs ~28 MB of RSS per process, which a worker with
 * tracing off should not pay.
 */
function sdk() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return {
    NodeSDK: (require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node')).NodeSDK,
    envDetector: (require('@opentelemetry/resources') as typeof import('@opentelemetry/resources'))
      .envDetector,
    SimpleSpanProcessor: (
      require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base')
    ).SimpleSpanProcessor,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/**
 * Starts OpenTelemetry tracing for this process when it is configured, else does nothing (every
 * helper below is then a cheap no-op):
 * - the standard `OTEL_*` variables (`OTEL_EXPORTER_OTLP_ENDPOINT` or `..._TRACES_ENDPOINT`): OTLP;
 * - `JOBPLANE_TRACE_FILE`: one JSON line per finished span in that file (tests, local debugging).
 * W3C trace context is the propagator, so spans join across AMQP headers and BullMQ job data.
 */
export function startTracing(
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): { shutdown(): Promise<void> } | null {
  if (env.OTEL_SDK_DISABLED === 'true') return null;
  const processors: SpanProcessor[] = [];
  if (env.JOBPLANE_TRACE_FILE)
    processors.push(new (sdk().SimpleSpanProcessor)(new FileSpanExporter(env.JOBPLANE_TRACE_FILE)));
  const otlp = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (processors.length === 0 && !otlp) return null;
  const { NodeSDK, envDetector } = sdk();
  const node = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || `jobplane-${service}`,
    // Only traces: metrics are prom-client's (/metrics), logs are pino's (stdout).
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
    // Host/process detectors resolve asynchronously and hold spans back (a span ended just before
    // shutdown was lost); the service name and OTEL_RESOURCE_ATTRIBUTES are what jobplane needs.
    resourceDetectors: [envDetector],
    ...(processors.length > 0 ? { spanProcessors: processors } : {}),
  });
  node.start();
  enabled = true;
  return {
    shutdown: async () => {
      await node.shutdown();
      enabled = false;
    },
  };
}

/** Whether spans are recorded (bulk hot paths apply per message only then, to keep a span each). */
export function tracingOn(): boolean {
  return enabled;
}

/** W3C `traceparent`/`tracestate` for the given (default: active) context; empty when tracing is off. */
export function traceHeaders(ctx?: Context): Record<string, string> {
  if (!enabled) return {};
  const carrier: Record<string, string> = {};
  propagation.inject(ctx ?? context.active(), carrier);
  return carrier;
}

/** The context a message or job carried (its `traceparent`), to parent the spans that handle it. */
export function contextFrom(carrier: Record<string, unknown> | null | undefined): Context {
  if (!carrier || !enabled) return ROOT_CONTEXT;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(carrier)) if (typeof v === 'string') headers[k] = v;
  return propagation.extract(ROOT_CONTEXT, headers);
}

/**
 * Runs `fn` in a new span (child of `parent`, default: the active context), ending it with the
 * outcome: an error thrown marks it failed and is rethrown.
 */
export async function inSpan<T>(
  name: string,
  opts: { attributes?: Attributes; kind?: SpanKind; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if (!enabled) return fn(NOOP_SPAN);
  const parent = opts.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    { kind: opts.kind ?? SpanKind.INTERNAL, ...(opts.attributes ? { attributes: opts.attributes } : {}) },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** Runs `fn` with the carried trace context active, so spans started in it join that trace. */
export function withTraceContext<T>(carrier: Record<string, unknown> | null | undefined, fn: () => T): T {
  if (!enabled || !carrier) return fn();
  return context.with(contextFrom(carrier), fn);
}

/** `trace_id`/`span_id` of the active span, for log lines (empty when there is none). */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  if (!enabled) return {};
  const span = trace.getActiveSpan();
  if (!span) return {};
  const c = span.spanContext();
  return { trace_id: c.traceId, span_id: c.spanId };
}

// @opentelemetry/core's ExportResultCode and hrTimeToMicroseconds, kept here so a process with tracing
// off never loads that package (it costs every worker memory for nothing).
const EXPORT_SUCCESS = 0;
const EXPORT_FAILED = 1;
const micros = (t: [number, number]) => Math.round(t[0] * 1e6 + t[1] / 1e3);

/** Appends each finished span as a JSON line (synchronously, so nothing is lost at exit). */
export class FileSpanExporter implements SpanExporter {
  constructor(private readonly path: string) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      appendFileSync(this.path, spans.map((s) => `${JSON.stringify(spanRecord(s))}\n`).join(''));
      done({ code: EXPORT_SUCCESS });
    } catch (error) {
      done({ code: EXPORT_FAILED, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface SpanRecord {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  kind: number;
  startUs: number;
  durationUs: number;
  status: number;
  attributes: Attributes;
}

function spanRecord(s: ReadableSpan): SpanRecord {
  return {
    service: String(s.resource.attributes['service.name'] ?? ''),
    name: s.name,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId ?? null,
    kind: s.kind,
    startUs: micros(s.startTime),
    durationUs: micros(s.duration),
    status: s.status.code,
    attributes: s.attributes,
  };
}
