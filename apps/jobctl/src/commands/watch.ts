import { intOption, positionals } from '../args';
import type { Command } from '../context';
import { eventLine, progressBar } from '../format';
import { watchJobEvents } from '../watch-events';

/**
 * Follows a job to its end: a progress bar on a terminal, one line per event otherwise (one JSON
 * object per event with --json). Exit 0 when the job succeeded, 1 otherwise.
 */
export const watchCommand: Command = {
  name: 'watch',
  usage: 'watch ID [--after SEQ]',
  summary: 'follow a job live until it ends (reconnects and resumes on disconnect)',
  options: { after: { type: 'string' } },
  async run(ctx, args, v) {
    const [id] = positionals(args, ['id']);
    const tty = ctx.stdout.isTTY && !ctx.json;
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    let bar = '';
    const clearBar = () => {
      if (bar) ctx.stdout.write('\r\x1b[2K');
    };
    let last: string | undefined;
    try {
      for await (const e of watchJobEvents(ctx.client, id!, {
        afterSeq: intOption(v, 'after', 0, 0, Number.MAX_SAFE_INTEGER)!,
        signal: ac.signal,
        onReconnect: (n, reason) =>
          ctx.stderr.write(`${tty ? '\r\x1b[2K' : ''}reconnecting (${n}): ${reason}\n`),
      })) {
        last = e.type;
        if (ctx.json) {
          ctx.print('', e);
          continue;
        }
        const data = (e.data ?? {}) as { percent?: number; step?: string; message?: string };
        if (tty && e.type === 'progress' && typeof data.percent === 'number') {
          bar = progressBar(data.percent, [data.step, data.message].filter(Boolean).join(' '));
          ctx.stdout.write(`\r\x1b[2K${bar.slice(0, (ctx.stdout.columns || 80) - 1)}`);
          continue;
        }
        clearBar();
        ctx.stdout.write(`${eventLine(e)}\n`);
        if (tty && bar) ctx.stdout.write(bar.slice(0, (ctx.stdout.columns || 80) - 1));
      }
    } finally {
      process.off('SIGINT', stop);
    }
    clearBar();
    if (ac.signal.aborted) return 130;
    return last === 'succeeded' ? 0 : 1;
  },
};
