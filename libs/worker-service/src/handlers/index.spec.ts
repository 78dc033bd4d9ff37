import { loadConfig } from '@jobplane/config';
import { HandlerRegistry } from '../handler';
import { BUILT_IN_HANDLERS, configuredHandlersFrom } from './index';
import { runHandler } from './run-handler.spec-helper';

const config = (env: Record<string, string>) => loadConfig({ AMQP_URL: 'amqp://localhost', ...env });

function runIn(registry: HandlerRegistry, type: string, payload: unknown) {
  return runHandler(registry.get(type)!, payload);
}

describe('built-in handler set', () => {
  it('registers every built-in once, the configurable ones even when unconfigured', () => {
    const registry = new HandlerRegistry().register(
      ...BUILT_IN_HANDLERS,
      ...configuredHandlersFrom(config({})),
    );
    expect(registry.types()).toEqual([
      'crud',
      'debug.echo',
      'debug.flaky',
      'debug.hang',
      'fail',
      'http.request',
      'process.exec',
      'simulation.mock',
      'sleep',
    ]);
  });

  it('takes the allowlists from configuration', async () => {
    const registry = new HandlerRegistry().register(
      ...configuredHandlersFrom(
        config({ PROCESS_EXEC_ALLOW: '/bin/echo,,/bin/true', HTTP_REQUEST_ALLOW_HOSTS: '10.0.0.0/8' }),
      ),
    );
    expect((await runIn(registry, 'process.exec', { command: '/bin/true' })).exitCode).toBe(0);
    await expect(runIn(registry, 'process.exec', { command: '/bin/false' })).rejects.toMatchObject({
      code: 'command_refused',
    });
    await expect(runIn(registry, 'http.request', { url: 'http://127.0.0.1:1/' })).rejects.toMatchObject({
      code: 'http_address_refused',
    });
    // Allowlisted: it gets past the guard (whatever the network then answers).
    const outcome = await runIn(registry, 'http.request', {
      url: 'http://10.255.255.1:1/',
      timeoutMs: 300,
    }).catch((err: { code: string }) => err);
    expect((outcome as { code?: string }).code).not.toBe('http_address_refused');
    await expect(runIn(registry, 'crud', {})).rejects.toMatchObject({ code: 'crud_disabled' });
  });

  it('refuses a malformed allowlist in configuration', () => {
    expect(() => config({ PROCESS_EXEC_ALLOW: '/bin/echo, /bin/true' })).toThrow(/PROCESS_EXEC_ALLOW/);
    expect(() => configuredHandlersFrom(config({ HTTP_REQUEST_ALLOW_HOSTS: 'bad_host!' }))).toThrow(
      /HTTP_REQUEST_ALLOW_HOSTS/,
    );
  });
});
