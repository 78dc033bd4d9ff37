import { bindingMatches, topicMatches } from './routing';

describe('topicMatches (AMQP topic rules)', () => {
  it.each([
    ['job.#', 'job', true],
    ['job.#', 'job.created', true],
    ['job.#', 'job.attempt.started', true],
    ['job.#', 'jobs.created', false],
    ['job.*', 'job.created', true],
    ['job.*', 'job', false],
    ['job.*', 'job.attempt.started', false],
    ['*.created', 'job.created', true],
    ['#', '', true],
    ['#', 'a.b.c', true],
    ['#.started', 'job.attempt.started', true],
    ['job.#.started', 'job.started', true],
    ['job.#.#.started', 'job.x.started', true],
    ['job.#.started', 'job.attempt.finished', false],
    ['a.*.c', 'a..c', true],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
  ])('%s vs %s → %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });

  it('applies direct and fanout rules', () => {
    expect(bindingMatches('direct', 'pool-a', 'pool-a')).toBe(true);
    expect(bindingMatches('direct', 'pool-a', 'pool-ab')).toBe(false);
    expect(bindingMatches('direct', 'job.#', 'job.x')).toBe(false);
    expect(bindingMatches('fanout', '', 'anything')).toBe(true);
  });
});
