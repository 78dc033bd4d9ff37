import { Writable } from 'node:stream';
import { createLogger } from './logger';

describe('log redaction', () => {
  it('never writes API keys, bearer tokens or secrets, wherever they sit in a log line', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const key = 'jp_0123456789abcdef_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA';
    const log = createLogger('test', 'info', sink);
    log.info({ req: { headers: { authorization: `Bearer ${key}`, 'x-api-key': key } } }, 'request');
    log.info({ headers: { authorization: `Bearer ${key}`, 'x-api-key': key } }, 'bare headers');
    log.info({ request: { headers: { authorization: `Bearer ${key}`, 'x-api-key': key } } }, 'nested');
    log.info({ apiKey: key, config: { BOOTSTRAP_ADMIN_KEY: key }, secret: key, token: key }, 'fields');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).not.toContain('c2VjcmV0');
    expect(lines.join('')).toContain('[redacted]');
  });
});
