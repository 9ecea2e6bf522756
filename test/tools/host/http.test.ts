import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { HostContext, HostExtension } from '../../../tools/host/extension';
import { type FunctionsHost, startHost } from '../../../tools/host/host';
import type { LogEntry } from '../../../tools/host/logger';

const appDir = path.resolve(__dirname, '../../fixtures/host-app');
// No storage: the non-HTTP functions are disabled the way the host allows (app settings).
const noStorage = { AzureWebJobsStorage: '', 'AzureWebJobs.work.Disabled': 'true', 'AzureWebJobs.tick.Disabled': '1' };

interface Event {
  kind: string;
  hook?: string;
  fn?: string;
  id?: string;
  sawPre?: boolean;
  error?: string | null;
  value?: unknown;
  provided?: unknown;
  traceParent?: string;
  level?: string;
}

/** A stand-in for the Durable extension: owns `fixtureTrigger`, supplies `fixtureInput`. */
function fixtureExtension(): HostExtension & { ctx?: HostContext; stopped: boolean } {
  const ext: HostExtension & { ctx?: HostContext; stopped: boolean } = {
    name: 'fixture',
    triggerTypes: ['fixtureTrigger'],
    inputTypes: ['fixtureInput'],
    stopped: false,
    provideInput: async (binding, fn) => ({ json: JSON.stringify({ label: binding.label, for: fn.name }) }),
    start: async (ctx) => {
      ext.ctx = ctx;
    },
    stop: async () => {
      ext.stopped = true;
    },
  };
  return ext;
}

describe('local host: app loading, HTTP, hooks, extensions', () => {
  let host: FunctionsHost;
  const logs: LogEntry[] = [];
  const ext = fixtureExtension();

  beforeAll(async () => {
    host = await startHost({
      appDir,
      port: 0,
      extensions: [ext],
      env: noStorage,
      hostJson: { functionTimeout: '00:00:01' },
      logSink: (_line, entry) => logs.push(entry),
    });
  });

  afterAll(async () => {
    await host?.stop();
  });

  async function events(): Promise<Event[]> {
    return (await (await fetch(`${host.baseUrl}/api/_calls`)).json()) as Event[];
  }

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
    expect(logs.some((l) => /test mode/i.test(l.message))).toBe(false);
  });

  it('answers with the library response: status, headers, cookies, JSON body, route params, query', async () => {
    const res = await fetch(`${host.baseUrl}/api/hello/world?x=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-fixture')).toBe('yes');
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('set-cookie')).toBe('fixture=1; HttpOnly');
    expect(await res.json()).toMatchObject({
      name: 'world',
      method: 'GET',
      query: { x: '1' },
      greeting: 'hello from local.settings.json',
    });
  });

  it('passes request bodies and honours an optional route parameter', async () => {
    const res = await fetch(`${host.baseUrl}/api/hello`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(await res.json()).toMatchObject({
      name: null,
      method: 'POST',
      body: '{"a":1}',
      contentType: 'application/json',
    });
  });

  it('applies route constraints and methods (no match → 404)', async () => {
    expect((await fetch(`${host.baseUrl}/api/hello/abc123`)).status).toBe(404); // alpha
    expect((await fetch(`${host.baseUrl}/api/hello/bob`, { method: 'PUT' })).status).toBe(404);
    const item = await fetch(`${host.baseUrl}/api/items/42`, { method: 'DELETE' });
    expect(await item.json()).toEqual({ id: 42, method: 'DELETE' });
    expect((await fetch(`${host.baseUrl}/api/items/forty-two`)).status).toBe(404); // int
    expect((await fetch(`${host.baseUrl}/api/nowhere`)).status).toBe(404);
    expect((await fetch(`${host.baseUrl}/hello/bob`)).status).toBe(404); // outside routePrefix
  });

  it('uses the function name as the default route and the library default methods (GET, POST)', async () => {
    for (const method of ['GET', 'POST']) {
      const res = await fetch(`${host.baseUrl}/api/plain`, { method });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('plain');
    }
    expect((await fetch(`${host.baseUrl}/api/plain`, { method: 'PATCH' })).status).toBe(404);
  });

  it('returns the status the function sets, and 500 when it throws', async () => {
    const res = await fetch(`${host.baseUrl}/api/status/418`);
    expect(res.status).toBe(418);
    expect(await res.text()).toBe('status 418');
    const boom = await fetch(`${host.baseUrl}/api/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.text()).toBe('');
    expect(
      logs.some(
        (l) => l.category === 'Function.boom' && l.level === 'error' && l.message.includes('boom from the fixture'),
      ),
    ).toBe(true);
  });

  it('fails an invocation that runs past host.json functionTimeout', async () => {
    const res = await fetch(`${host.baseUrl}/api/slow?ms=1500`);
    expect(res.status).toBe(500);
    expect(
      logs.some(
        (l) => l.level === 'error' && l.message.includes("Timeout value of 00:00:01 exceeded by function 'slow'"),
      ),
    ).toBe(true);
  });

  it('runs appStart once and pre/post invocation hooks around each invocation, in order, with shared hookData', async () => {
    await fetch(`${host.baseUrl}/api/_calls`, { method: 'DELETE' });
    const res = await fetch(`${host.baseUrl}/api/hooked`);
    // The preInvocation hook replaced the input; the postInvocation hook replaced the result.
    expect(await res.json()).toEqual({ result: 'replaced-by-hook', changedByPostHook: true });
    const ev = (await events()).filter((e) => e.fn === 'hooked');
    expect(ev.map((e) => e.hook)).toEqual(['preInvocation', 'postInvocation']);
    expect(ev[0]!.id).toBe(ev[1]!.id);
    expect(ev[1]!.sawPre).toBe(true);
  });

  it('reports the error to postInvocation hooks', async () => {
    await fetch(`${host.baseUrl}/api/_calls`, { method: 'DELETE' });
    await fetch(`${host.baseUrl}/api/boom`);
    const post = (await events()).find((e) => e.fn === 'boom' && e.hook === 'postInvocation');
    expect(post?.error).toBe('boom from the fixture');
  });

  it('leaves extension trigger types to the extension, which invokes them with its inputs', async () => {
    expect(ext.ctx).toBeDefined();
    expect(ext.ctx!.baseUrl).toBe(host.baseUrl);
    const custom = ext.ctx!.functions().find((f) => f.name === 'custom')!;
    expect(custom.trigger.type).toBe('fixtureTrigger');
    const result = await ext.ctx!.invoke(custom, { json: JSON.stringify({ n: 7 }) }, { invocationId: 'inv-1' });
    expect(result.invocationId).toBe('inv-1');
    // Without a $return binding the result still comes back as returnValue (library PR #25): Durable relies on it.
    expect(JSON.parse((result.returnValue as { json: string }).json)).toEqual({
      echoed: { n: 7 },
      provided: { label: 'from-extension', for: 'custom' },
    });
  });

  it('serves extension HTTP handlers ahead of function routes', async () => {
    ext.ctx!.addHttpHandler('/runtime/webhooks/fixture/', async (_req, res, url) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`ext ${url.pathname}`);
    });
    const res = await fetch(`${host.baseUrl}/runtime/webhooks/fixture/x`);
    expect(await res.text()).toBe('ext /runtime/webhooks/fixture/x');
  });

  it('logs user logs with the function name and invocation id, after the log hooks (which may change them)', () => {
    const user = logs.find(
      (l) => l.category === 'Function.hello.User' && l.message === 'hello world (seen by a log hook)',
    );
    expect(user?.invocationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes each invocation its own W3C trace context and runs log hooks with the invocation context', async () => {
    await fetch(`${host.baseUrl}/api/_calls`, { method: 'DELETE' });
    await fetch(`${host.baseUrl}/api/hello/trace`);
    await fetch(`${host.baseUrl}/api/hello/trace`);
    const ev = await events();
    const pre = ev.filter((e) => e.hook === 'preInvocation' && e.fn === 'hello');
    expect(pre).toHaveLength(2);
    for (const e of pre) expect(e.traceParent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(pre[0]!.traceParent).not.toBe(pre[1]!.traceParent);
    const logged = ev.filter((e) => e.kind === 'log');
    expect(logged.map((e) => [e.fn, e.level, e.traceParent])).toEqual(
      pre.map((e) => ['hello', 'information', e.traceParent]),
    );
  });
});

describe('local host: routePrefix and shutdown', () => {
  it('honours host.json extensions.http.routePrefix, runs appTerminate and stops extensions on stop()', async () => {
    const ext = fixtureExtension();
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'host-test-')), 'terminated');
    const host = await startHost({
      appDir,
      port: 0,
      extensions: [ext],
      env: { ...noStorage, FIXTURE_TERMINATE_MARKER: marker },
      hostJson: { extensions: { http: { routePrefix: '' } } },
      logSink: () => undefined,
    });
    try {
      const res = await fetch(`${host.baseUrl}/items/5`);
      expect(await res.json()).toEqual({ id: 5, method: 'GET' });
      expect((await fetch(`${host.baseUrl}/api/items/5`)).status).toBe(404);
    } finally {
      await host.stop();
    }
    expect(ext.stopped).toBe(true);
    expect(readFileSync(marker, 'utf8')).toBe('terminated');
    await expect(fetch(`${host.baseUrl}/items/5`)).rejects.toThrow();
  });
});
