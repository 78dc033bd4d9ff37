import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parsePools } from './load-config';
import { configuredPools, parsePoolSpecs } from './pool-specs';

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    const c = loadConfig({ PORT: '9090' });
    expect(c.PORT).toBe(9090);
    expect(c.HOST).toBe('0.0.0.0');
    expect(c.WORKER_POOLS).toBe('default:8');
    expect(c.MIGRATE_ON_START).toBe(true);
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('lists every bad value in one error and hides passwords', () => {
    let error: unknown;
    try {
      loadConfig(
        {
          PORT: 'eighty',
          DATABASE_URL: 'mysql://u:secret@h/db',
          AMQP_URL: 'nope',
          WORKER_POOLS: 'a:0',
          POOLS: 'a:speed=9',
        },
        { required: ['REDIS_URL'] },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^PORT="eighty"/m);
    expect(problems).toMatch(
      /DATABASE_URL=mysql:\/\/u:\*\*\*@h\/db: must be a URL starting with postgres:\/\//,
    );
    expect(problems).not.toContain('secret');
    expect(problems).toMatch(/AMQP_URL=\(unparseable URL\)/);
    expect(problems).toMatch(/WORKER_POOLS/);
    expect(problems).toMatch(/REDIS_URL is required/);
    expect(problems).toMatch(/POOLS="a:speed=9": POOLS: "speed=9" is not capacity=N/);
  });

  it('parses worker pools', () => {
    expect(parsePools('metal:1,cloud:10')).toEqual([
      { pool: 'metal', concurrency: 1 },
      { pool: 'cloud', concurrency: 10 },
    ]);
  });
});

describe('parsePoolSpecs', () => {
  it('reads capacities and rates, options following their pool', () => {
    expect(parsePoolSpecs('metal:capacity=2,cloud:capacity=5,rate=60/min', 100)).toEqual([
      { name: 'metal', capacity: 2, rate: null },
      { name: 'cloud', capacity: 5, rate: { max: 60, perMs: 60_000 } },
    ]);
    expect(parsePoolSpecs('', 100)).toEqual([]);
    expect(parsePoolSpecs('gpu:', 7)).toEqual([{ name: 'gpu', capacity: 7, rate: null }]);
  });

  it('refuses malformed specs with a readable message', () => {
    expect(() => parsePoolSpecs('capacity=2', 1)).toThrow(/before any pool name/);
    expect(() => parsePoolSpecs('a:rate=fast', 1)).toThrow(/rate "fast"/);
    expect(() => parsePoolSpecs('a:size=3', 1)).toThrow(/not capacity=N/);
  });
});

describe('pools from a YAML file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pools-'));

  it('merges POOLS_FILE with POOLS, POOLS winning', () => {
    const file = `${dir}/pools.yaml`;
    writeFileSync(
      file,
      'pools:\n  metal: { capacity: 2 }\n  cloud: { capacity: 5, rate: 60/min }\n  gpu: {}\n',
    );
    expect(
      configuredPools({ POOLS: 'cloud:capacity=9', POOLS_FILE: file, DEFAULT_POOL_CAPACITY: 7 }),
    ).toEqual([
      { name: 'metal', capacity: 2, rate: null },
      { name: 'cloud', capacity: 9, rate: null },
      { name: 'gpu', capacity: 7, rate: null },
    ]);
  });

  it('names the file and the problem', () => {
    const file = `${dir}/bad.yaml`;
    writeFileSync(file, 'pools:\n  metal: { rate: fast }\n');
    expect(() => configuredPools({ POOLS: '', POOLS_FILE: file, DEFAULT_POOL_CAPACITY: 1 })).toThrow(
      `POOLS_FILE ${file}: rate "fast"`,
    );
    writeFileSync(file, 'nothing: here\n');
    expect(() => configuredPools({ POOLS: '', POOLS_FILE: file, DEFAULT_POOL_CAPACITY: 1 })).toThrow(
      /expected a "pools:" map/,
    );
  });
});
