import { SseParser } from './sse';

describe('SseParser', () => {
  const stream =
    'id: 1\nevent: queued\ndata: {"seq":1}\n\n: keep-alive\n\nid: 2\r\nevent: progress\r\ndata: {"seq":2,\r\ndata: "x":1}\r\n\r\n';

  it('parses ids, event names, multi-line data and skips comments', () => {
    const p = new SseParser();
    expect(p.feed(stream)).toEqual([
      { id: '1', event: 'queued', data: '{"seq":1}' },
      { id: '2', event: 'progress', data: '{"seq":2,\n"x":1}' },
    ]);
    expect(p.lastEventId).toBe('2');
  });

  it('gives the same events however the stream is split, even inside a CRLF', () => {
    const whole = new SseParser().feed(stream);
    for (let size = 1; size <= 7; size++) {
      const p = new SseParser();
      const got = [];
      for (let i = 0; i < stream.length; i += size) got.push(...p.feed(stream.slice(i, i + size)));
      expect(got).toEqual(whole);
    }
  });

  it('defaults the event name to message, strips one leading space only, and needs a blank line', () => {
    const p = new SseParser();
    expect(p.feed('data:  two spaces\n')).toEqual([]);
    expect(p.feed('\n')).toEqual([{ event: 'message', data: ' two spaces' }]);
    expect(p.feed('id: 9\n\n')).toEqual([]);
    expect(p.lastEventId).toBe('9');
  });
});
