import path from 'node:path';

import { type FunctionsHost, startHost } from '../../../tools/host/host';
import type { LogEntry } from '../../../tools/host/logger';

const appDir = path.resolve(__dirname, '../../fixtures/host-app');

describe('local host: app loading and HTTP', () => {
  let host: FunctionsHost;
  const logs: LogEntry[] = [];

  beforeAll(async () => {
    host = await startHost({
      appDir,
      port: 0,
      extensions: [],
      // No storage: the non-HTTP functions are disabled the way the host allows (app settings).
      env: { AzureWebJobsStorage: '', 'AzureWebJobs.work.Disabled': 'true', 'AzureWebJobs.tick.Disabled': '1' },
      logSink: (_line, entry) => logs.push(entry),
    });
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('registers every fixture function through @azure/functions-core (not test mode)', () => {
    const names = host.functions().map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'hello',
        'item',
        'status',
        'boom',
        'hooked',
        'plain',
        'toQueue',
        'calls',
        'work',
        'tick',
        'custom',
      ]),
    );
    const work = host.functions().find((f) => f.name === 'work')!;
    expect(work.trigger.type).toBe('queueTrigger');
    expect(work.bindings.$return).toMatchObject({ type: 'queue', direction: 'out', queueName: '%FIXTURE_OUT_QUEUE%' });
  });

  it('answers an HTTP function with the library response (status, headers, cookies, JSON body)', async () => {
    const res = await fetch(`${host.baseUrl}/api/hello/world?x=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-fixture')).toBe('yes');
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('set-cookie')).toContain('fixture=1');
    const body = await res.json();
    expect(body).toMatchObject({
      name: 'world',
      method: 'GET',
      query: { x: '1' },
      greeting: 'hello from local.settings.json',
    });
  });

  it('logs user logs with the function name and invocation id', () => {
    const user = logs.find((l) => l.category === 'Function.hello.User' && l.message === 'hello world');
    expect(user?.invocationId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
