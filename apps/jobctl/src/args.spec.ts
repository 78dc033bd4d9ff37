import { DEFAULT_API_URL, intOption, keyValues, parseCommandLine, UsageError } from './args';
import { COMMANDS } from './commands';
import { payloadOf, submitBodyOf } from './commands/jobs';

const optionsOf = (name: string) => COMMANDS.find((c) => c.name === name)?.options;

describe('command line', () => {
  it('takes the API URL and key from flags first, then the environment, then the default', () => {
    const env = { JOBPLANE_API_URL: 'http://env:1', JOBPLANE_API_KEY: 'envkey' };
    expect(parseCommandLine(['get', 'x'], {}, optionsOf).global).toEqual({
      api: DEFAULT_API_URL,
      key: undefined,
      json: false,
    });
    expect(parseCommandLine(['get', 'x'], env, optionsOf).global).toEqual({
      api: 'http://env:1',
      key: 'envkey',
      json: false,
    });
    expect(
      parseCommandLine(['get', 'x', '--api', 'http://flag:2', '--key', 'k', '--json'], env, optionsOf).global,
    ).toEqual({ api: 'http://flag:2', key: 'k', json: true });
  });

  it('parses a submit with repeated labels and a payload', () => {
    const p = parseCommandLine(
      [
        'submit',
        'sleep',
        '-p',
        '{"seconds":2}',
        '-l',
        'a=1',
        '--label',
        'b=x=y',
        '--priority',
        '5',
        '--pool',
        'gpu',
      ],
      {},
      optionsOf,
    );
    expect(p.positionals).toEqual(['sleep']);
    expect(submitBodyOf('sleep', p.values)).toEqual({
      type: 'sleep',
      payload: { seconds: 2 },
      pool: 'gpu',
      priority: 5,
      labels: { a: '1', b: 'x=y' },
    });
  });

  it('rejects unknown commands, unknown options, bad URLs and bad values as usage errors', () => {
    expect(() => parseCommandLine(['frobnicate'], {}, optionsOf)).toThrow(/unknown command "frobnicate"/);
    expect(() => parseCommandLine(['get', 'x', '--bogus'], {}, optionsOf)).toThrow(UsageError);
    expect(() => parseCommandLine(['get', 'x', '--api', 'nope'], {}, optionsOf)).toThrow(/not a URL/);
    expect(() => intOption({ count: '1.5' }, 'count', 1, 1, 10)).toThrow(/--count/);
    expect(() => intOption({ count: '11' }, 'count', 1, 1, 10)).toThrow(/from 1 to 10/);
    expect(intOption({}, 'count', 3, 1, 10)).toBe(3);
    expect(() => keyValues({ label: ['novalue'] }, 'label')).toThrow(/key=value/);
    expect(() => payloadOf('{bad')).toThrow(/--payload: not JSON/);
    expect(() => payloadOf('@/no/such/file.json')).toThrow(/cannot read/);
  });
});
