import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import {
  activeTraceIds,
  contextFrom,
  inSpan,
  SpanRecord,
  startTracing,
  traceHeaders,
  withTraceContext,
} from './tracing';

describe('tracing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobplane-trace-'));
  const file = join(dir, 'spans.jsonl');

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is off (no-op helpers) without an exporter configured', async () => {
    expect(startTracing('api', {})).toBeNull();
    expect(await inSpan('nothing', {}, async () => traceHeaders())).toEqual({});
    // No span is recorded and no context is made: the hot path pays a flag check.
    expect(await inSpan('nothing', {}, async (span) => span.isRecording())).toBe(false);
    expect(
      withTraceContext(
        { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
        traceHeaders,
      ),
    ).toEqual({});
    expect(activeTraceIds()).toEqual({});
  });

  it('joins spans across a message boundary through traceparent headers, and logs carry the ids', async () => {
    const tracing = startTracing('api', { JOBPLANE_TRACE_FILE: file })!;
    const lines: string[] = [];
    const log = pino(
      { mixin: activeTraceIds },
      new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) }),
    );
    let headers: Record<string, string> = {};
    await inSpan('api.submit', { attributes: { 'jobplane.job.type': 'debug.echo' } }, async () => {
      headers = traceHeaders();
      log.info('submitted');
    });
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // Another process: only the headers cross over.
    await inSpan('scheduler.apply', { parent: contextFrom(headers) }, async () => {
      await inSpan('scheduler.dispatch', {}, async () => undefined);
    });
    // A carrier from job data (no message): spans started with it active join the trace.
    await withTraceContext(headers, () => inSpan('scheduler.from-backlog', {}, async () => undefined));
    await expect(
      inSpan('worker.handler', { parent: contextFrom(headers) }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await tracing.shutdown();

    const spans = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SpanRecord);
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    const root = byName['api.submit']!;
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([root.traceId]));
    expect(byName['scheduler.apply']!.parentSpanId).toBe(root.spanId);
    expect(byName['scheduler.dispatch']!.parentSpanId).toBe(byName['scheduler.apply']!.spanId);
    expect(byName['scheduler.from-backlog']!.parentSpanId).toBe(root.spanId);
    expect(byName['worker.handler']).toMatchObject({ parentSpanId: root.spanId, status: 2 });
    expect(root.attributes).toEqual({ 'jobplane.job.type': 'debug.echo' });
    expect(root.service).toBe('jobplane-api');
    expect(JSON.parse(lines[0]!)).toMatchObject({ trace_id: root.traceId, span_id: root.spanId });
  });
});
