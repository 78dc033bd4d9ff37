import { handlerAnnouncementSchema } from '@jobplane/contracts';
import { z } from 'zod';
import { HandlerRegistry } from './handler';
import { announcementOf, announcementsOf, payloadJsonSchema } from './handler-announcement';

const handle = async () => null;

describe('handler announcements', () => {
  it('declares pool, execution, limits, retry policy and the payload as callers send it', () => {
    const a = announcementOf({
      type: 'image.resize',
      pool: 'gpu',
      execution: 'thread',
      module: __filename,
      timeouts: { softMs: 1_000 },
      retry: { maxAttempts: 2 },
      payload: z.object({ url: z.url(), width: z.number().int().default(100) }),
      handle,
    });
    expect(a).toMatchObject({
      type: 'image.resize',
      pool: 'gpu',
      execution: 'thread',
      timeouts: { softMs: 1_000 },
      retry: { maxAttempts: 2 },
    });
    // Input side: a field with a default is optional for the caller.
    expect(a.payloadSchema).toMatchObject({ type: 'object', required: ['url'] });
    expect(handlerAnnouncementSchema.parse(a)).toEqual(a);
  });

  it('leaves out what the handler does not declare', () => {
    const a = announcementOf({ type: 'debug.echo', handle, timeouts: {}, retry: {} });
    expect(a).toEqual({ type: 'debug.echo', pool: null, execution: 'inline', payloadSchema: null });
  });

  it('announces null for a payload schema JSON Schema cannot express, instead of failing', () => {
    expect(payloadJsonSchema(z.object({ at: z.date() }))).toBeNull();
    expect(payloadJsonSchema(z.custom<string>((v) => typeof v === 'string'))).toBeNull();
    expect(payloadJsonSchema(z.object({ n: z.number() }))).toMatchObject({ type: 'object' });
  });

  it('covers every registered handler, sorted by type', () => {
    const registry = new HandlerRegistry().register({ type: 'b', handle }, { type: 'a', handle });
    expect(announcementsOf(registry).map((a) => a.type)).toEqual(['a', 'b']);
  });
});
