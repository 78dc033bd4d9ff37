/** AMQP 0-9-1 routing rules, for the in-process adapter. */
import type { ExchangeKind } from './message-bus';

/** Topic match: words split by '.', `*` is exactly one word, `#` is zero or more words. */
export function topicMatches(pattern: string, routingKey: string): boolean {
  return matchWords(pattern.split('.'), 0, routingKey.split('.'), 0);
}

function matchWords(pattern: string[], p: number, key: string[], k: number): boolean {
  if (p === pattern.length) return k === key.length;
  const word = pattern[p];
  if (word === '#') {
    // Collapse consecutive '#'s, then try every split point.
    if (pattern[p + 1] === '#') return matchWords(pattern, p + 1, key, k);
    for (let i = k; i <= key.length; i++) if (matchWords(pattern, p + 1, key, i)) return true;
    return false;
  }
  if (k === key.length) return false;
  return (word === '*' || word === key[k]) && matchWords(pattern, p + 1, key, k + 1);
}

export function bindingMatches(kind: ExchangeKind, bindingKey: string, routingKey: string): boolean {
  switch (kind) {
    case 'fanout':
      return true;
    case 'direct':
      return bindingKey === routingKey;
    case 'topic':
      return topicMatches(bindingKey, routingKey);
  }
}
