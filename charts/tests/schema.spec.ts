// values.schema.json (and the template guards behind it) refuse bad values before anything reaches a
// cluster, with a message naming the field.
import { CHART, helm, render } from './support';

function template(args: string[], release = 'jobplane') {
  return helm(['template', release, CHART, ...args]);
}

describe('values that are refused', () => {
  it.each<[string, string[], RegExp]>([
    [
      'pool concurrency below 1',
      ['--set-json', 'workers.pools=[{"name":"default","concurrency":0}]'],
      /\/workers\/pools\/0\/concurrency': minimum: got 0, want 1/,
    ],
    ['negative replicas', ['--set', 'api.replicas=-1'], /\/api\/replicas': minimum: got -1, want 0/],
    [
      'negative worker replicas',
      ['--set-json', 'workers.pools=[{"name":"default","concurrency":2,"replicas":-3}]'],
      /\/workers\/pools\/0\/replicas': minimum/,
    ],
    [
      'unknown log level',
      ['--set', 'config.logLevel=verbose'],
      /\/config\/logLevel': value must be one of 'trace', 'debug', 'info'/,
    ],
    [
      'pool name with capitals and underscores',
      ['--set-json', 'workers.pools=[{"name":"Big_Pool","concurrency":1}]'],
      /\/workers\/pools\/0\/name': 'Big_Pool' does not match pattern/,
    ],
    [
      'pool without a concurrency',
      ['--set-json', 'workers.pools=[{"name":"default"}]'],
      /\/workers\/pools\/0': missing property 'concurrency'/,
    ],
    ['no worker pool at all', ['--set-json', 'workers.pools=[]'], /\/workers\/pools': minItems/],
    [
      'pool rate in the wrong form',
      ['--set-json', 'workers.pools=[{"name":"default","concurrency":1,"rate":"fast"}]'],
      /\/workers\/pools\/0\/rate': 'fast' does not match pattern/,
    ],
    ['image tag latest', ['--set', 'image.tag=latest'], /\/image\/tag'/],
    ['a misspelt key', ['--set', 'api.replica=3'], /\/api': additional properties 'replica' not allowed/],
    [
      'a chart-managed variable in extraEnv',
      ['--set', 'config.extraEnv.MIGRATE_ON_START=true'],
      /\/config\/extraEnv\/MIGRATE_ON_START'/,
    ],
    [
      'a worker pool setting WORKER_POOLS itself',
      ['--set-json', 'workers.pools=[{"name":"default","concurrency":1,"extraEnv":{"WORKER_POOLS":"x:1"}}]'],
      /\/workers\/pools\/0\/extraEnv\/WORKER_POOLS'/,
    ],
    [
      'no Secret and no URL',
      ['--set', 'secrets.databaseUrl='],
      /\/secrets\/databaseUrl': minLength: got 0, want 1/,
    ],
    [
      'a URL of the wrong scheme',
      ['--set', 'secrets.amqpUrl=http://rabbit'],
      /\/secrets\/amqpUrl': 'http:\/\/rabbit' does not match pattern/,
    ],
    ['a port out of range', ['--set', 'api.port=70000'], /\/api\/port': maximum: got 70,?000, want 65,?535/],
    [
      'a CPU target above 100%',
      ['--set', 'api.autoscaling.targetCPUUtilizationPercentage=150'],
      /\/api\/autoscaling\/targetCPUUtilizationPercentage': maximum/,
    ],
  ])('%s', (_name, args, message) => {
    const r = template(args);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(r.stderr).toMatch(message);
  });

  it.each<[string, string, string[], RegExp]>([
    [
      'the same pool twice',
      'jobplane',
      ['--set-json', 'workers.pools=[{"name":"a","concurrency":1},{"name":"a","concurrency":2}]'],
      /workers.pools: pool "a" is listed twice/,
    ],
    [
      'latest, even when schema validation is skipped',
      'jobplane',
      ['--skip-schema-validation', '--set', 'image.tag=latest'],
      /image.tag must name one build \(e.g. 0.1.0\), not "latest"/,
    ],
    [
      'a pool image of its own without tag or digest',
      'jobplane',
      ['--set-json', 'workers.pools=[{"name":"x","concurrency":1,"image":{"repository":"r/w"}}]'],
      /workers.pools "x": an image of its own must name its tag or digest/,
    ],
    [
      'a pool image tagged latest, even when schema validation is skipped',
      'jobplane',
      [
        '--skip-schema-validation',
        '--set-json',
        'workers.pools=[{"name":"x","concurrency":1,"image":{"repository":"r/w","tag":"latest"}}]',
      ],
      /workers.pools "x": image tag must name one build, not "latest"/,
    ],
    [
      'a metrics port that collides with the api port',
      'jobplane',
      ['--set', 'metrics.servicePort=8080'],
      /metrics.servicePort must differ from api.port/,
    ],
    [
      'names longer than 63 characters',
      'release-with-a-rather-long-name',
      ['--set-json', 'workers.pools=[{"name":"a-very-long-pool-name-for-the-test-abcde","concurrency":1}]'],
      /longer than 63 characters; shorten the release name/,
    ],
  ])('%s (template guard)', (_name, release, args, message) => {
    const r = template(args, release);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});

describe('values that are accepted', () => {
  it('an existing Secret without any URL values', () => {
    const objs = render(
      [],
      [
        '--set',
        'secrets.existingSecret=conn',
        '--set',
        'secrets.databaseUrl=',
        '--set',
        'secrets.amqpUrl=',
        '--set',
        'secrets.redisUrl=',
      ],
    );
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('zero replicas (a pool parked) and a digest-pinned image', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const objs = render(
      [],
      [
        '--set-json',
        'workers.pools=[{"name":"default","concurrency":1,"replicas":0}]',
        '--set',
        `image.digest=${digest}`,
      ],
    );
    const worker = objs.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'jobplane-worker-default',
    )!;
    expect(worker.spec.replicas).toBe(0);
    expect(worker.spec.template.spec.containers[0].image).toBe(`ghcr.io/jobplane/jobplane:0.1.0@${digest}`);
  });
});
