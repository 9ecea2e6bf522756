/**
 * Durable Functions patterns on the local host, against Azurite: the fixture app (unmodified durable-functions)
 * runs in an in-process host; every result is read back through the durable HTTP API or the JS client.
 */
import path from 'node:path';

import type { DurableExtension } from '../../../../tools/host/durable';
import { createDurableExtension, EventType } from '../../../../tools/host/durable';
import type { ControlMessage } from '../../../../tools/host/durable/types';
import { type FunctionsHost, startHost } from '../../../../tools/host/host';
import {
  type Azurite,
  getStatus,
  http,
  startAzurite,
  startOrchestration,
  type StatusBody,
  statusUrl,
  waitFor,
  waitForStatus,
} from './support';

jest.setTimeout(120_000);

const APP = path.resolve(__dirname, '../../../fixtures/durable-app');
let azurite: Azurite;
let host: FunctionsHost;
let durable: DurableExtension;
let base: string;

beforeAll(async () => {
  azurite = await startAzurite();
  durable = createDurableExtension({ hubName: 'patternshub' });
  host = await startHost({
    appDir: APP,
    port: 0,
    azurite: azurite.ports,
    env: { AzureWebJobsStorage: azurite.connectionString },
    extensions: [durable],
    logLevel: 'warning',
    logSink: () => undefined,
  });
  base = host.baseUrl;
});

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

async function run(name: string, input?: unknown, id?: string): Promise<StatusBody> {
  const res = await startOrchestration(base, name, input, id);
  expect(res.status).toBe(202);
  const instanceId = (res.body as { id: string }).id;
  return waitForStatus(base, instanceId);
}

test('function chaining: three activities in order', async () => {
  const st = await run('Chain');
  expect(st.runtimeStatus).toBe('Completed');
  expect(st.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
});

test('fan-out/fan-in: 100 activities in parallel, results summed', async () => {
  const st = await run('FanOut', 100);
  expect(st.runtimeStatus).toBe('Completed');
  expect(st.output).toBe(2 * ((99 * 100) / 2));
  const h = await getStatus(base, st.instanceId, 'showHistory=true');
  const events = h.body.historyEvents ?? [];
  expect(events.filter((e) => e['EventType'] === 'TaskScheduled')).toHaveLength(100);
  expect(events.filter((e) => e['EventType'] === 'TaskCompleted')).toHaveLength(100);
});

test('monitor: durable timers and continueAsNew keep one instance id and reset history', async () => {
  const id = `monitor-${Date.now()}`;
  const res = await startOrchestration(base, 'Monitor', { round: 0, rounds: 3, intervalMs: 300 }, id);
  expect(res.status).toBe(202);
  const seen = new Set<string>();
  const st = await waitFor('monitor to complete', async () => {
    const r = await getStatus(base, id);
    seen.add(r.body.runtimeStatus);
    return r.body.runtimeStatus === 'Completed' ? r.body : undefined;
  });
  expect(st.instanceId).toBe(id);
  expect(st.output).toEqual({ rounds: 3, checks: [0, 2, 4] });
  expect(st.input).toEqual({ round: 2, rounds: 3, intervalMs: 300, checks: [0, 2] });
  expect(st.customStatus).toEqual({ round: 2 });
  const h = await getStatus(base, id, 'showHistory=true');
  const events = h.body.historyEvents ?? [];
  // Only the last generation's history remains.
  expect(events.filter((e) => e['EventType'] === 'TimerFired')).toHaveLength(1);
  expect(events.filter((e) => e['EventType'] === 'ExecutionStarted')).toHaveLength(1);
  const created = events.find((e) => e['EventType'] === 'TimerCreated');
  const fired = events.find((e) => e['EventType'] === 'TimerFired');
  // A durable timer never fires early.
  expect(Date.parse(String(fired?.['Timestamp']))).toBeGreaterThanOrEqual(Date.parse(String(created?.['FireAt'])));
});

test('long timer: split by maximumTimerInterval into sub-timers, fires at its due time', async () => {
  const st = await run('LongTimer', 5000);
  expect(st.runtimeStatus).toBe('Completed');
  expect(st.output as number).toBeGreaterThanOrEqual(5000);
  const h = await getStatus(base, st.instanceId, 'showHistory=true');
  const timers = (h.body.historyEvents ?? []).filter((e) => e['EventType'] === 'TimerCreated');
  expect(timers.length).toBeGreaterThanOrEqual(2);
});

test('human interaction: the approval event wins the race against the timeout', async () => {
  const id = `approve-${Date.now()}`;
  await startOrchestration(base, 'Approval', { timeoutMs: 3_900 }, id);
  await waitForStatus(base, id, ['Running']);
  // Raised through the webhook form (sendEventPostUri).
  const r = await http('POST', `${statusUrl(base, id)}/raiseEvent/Approve`, { user: 'ops' });
  expect(r.status).toBe(202);
  const st = await waitForStatus(base, id);
  expect(st.output).toEqual({ approved: true, by: { user: 'ops' } });
});

test('human interaction: the timeout wins when no event comes', async () => {
  const st = await run('Approval', { timeoutMs: 500 });
  expect(st.output).toEqual({ approved: false });
});

test('external event raised before the orchestrator waits is buffered', async () => {
  const id = `buffered-${Date.now()}`;
  await startOrchestration(base, 'CustomStatus', undefined, id);
  const r = await http('POST', `${statusUrl(base, id)}/raiseEvent/go`, { early: true });
  expect(r.status).toBe(202);
  const st = await waitForStatus(base, id);
  expect(st.output).toEqual({ early: true });
});

test('callActivityWithRetry: fails twice then succeeds', async () => {
  const st = await run('RetryOk', `key-${Date.now()}`);
  expect(st.runtimeStatus).toBe('Completed');
  expect(st.output).toBe('ok after 3');
  const h = await getStatus(base, st.instanceId, 'showHistory=true');
  const events = h.body.historyEvents ?? [];
  // TaskFailed 0 -> timer 1 -> TaskFailed 2 -> timer 3 -> TaskCompleted 4 (ids as DTFx's retry interceptor uses them).
  expect(events.filter((e) => e['EventType'] === 'TaskFailed').map((e) => e['TaskScheduledId'])).toEqual([0, 2]);
  expect(events.filter((e) => e['EventType'] === 'TimerFired').map((e) => e['TimerId'])).toEqual([1, 3]);
  expect(events.filter((e) => e['EventType'] === 'TaskCompleted').map((e) => e['TaskScheduledId'])).toEqual([4]);
});

test('callActivityWithRetry: exhausted attempts fail the orchestration with the activity error', async () => {
  const st = await run('RetryExhaust');
  expect(st.runtimeStatus).toBe('Failed');
  expect(String(st.output)).toContain('AlwaysFails: exhausted');
});

test('sub-orchestrations: results flow back to the parent; failures surface as errors', async () => {
  const st = await run('Parent');
  expect(st.output).toEqual({ chain: ['Hello Tokyo', 'Hello Seattle', 'Hello London'], fanOut: 20 });
  const child = await getStatus(base, `${st.instanceId}-chain`);
  expect(child.body.runtimeStatus).toBe('Completed');
  const failing = await run('ParentOfFailing');
  expect(failing.runtimeStatus).toBe('Completed');
  expect(String(failing.output)).toMatch(/^caught: .*AlwaysFails: exhausted/s);
});

test('orchestrator exception: Failed with the error in the output', async () => {
  const st = await run('Throws');
  expect(st.runtimeStatus).toBe('Failed');
  expect(String(st.output)).toContain('orchestrator broke on purpose');
});

test('non-deterministic orchestrator: Failed with a clear message, not hung', async () => {
  const st = await run('NonDeterministic');
  expect(st.runtimeStatus).toBe('Failed');
  expect(String(st.output)).toContain('Non-deterministic workflow detected');
});

test('terminate: Terminated with the reason; raise event afterwards answers 410', async () => {
  const id = `term-${Date.now()}`;
  await startOrchestration(base, 'WaitForever', undefined, id);
  await waitForStatus(base, id, ['Running']);
  const r = await http('POST', `${statusUrl(base, id)}/terminate?reason=enough`);
  expect(r.status).toBe(202);
  const st = await waitForStatus(base, id);
  expect(st.runtimeStatus).toBe('Terminated');
  expect(st.output).toBe('enough');
  expect((await http('POST', `${statusUrl(base, id)}/raiseEvent/never`, {})).status).toBe(410);
  expect((await http('POST', `${statusUrl(base, id)}/terminate`)).status).toBe(410);
  expect((await http('POST', `${statusUrl(base, 'no-such-instance')}/terminate`)).status).toBe(404);
  expect((await http('POST', `${statusUrl(base, 'no-such-instance')}/raiseEvent/x`, {})).status).toBe(404);
});

test('suspend and resume: events wait while suspended', async () => {
  const id = `suspend-${Date.now()}`;
  await startOrchestration(base, 'CustomStatus', undefined, id);
  await waitForStatus(base, id, ['Running']);
  expect((await http('POST', `${statusUrl(base, id)}/suspend?reason=hold`)).status).toBe(202);
  await waitForStatus(base, id, ['Suspended']);
  await http('POST', `${statusUrl(base, id)}/raiseEvent/go`, JSON.stringify('later'));
  await new Promise((r) => setTimeout(r, 500));
  expect((await getStatus(base, id)).body.runtimeStatus).toBe('Suspended');
  expect((await http('POST', `${statusUrl(base, id)}/resume`)).status).toBe(202);
  const st = await waitForStatus(base, id);
  expect(st.output).toBe('later');
});

test('purge: single instance and by filter', async () => {
  const a = await run('Chain');
  const del = await http('DELETE', statusUrl(base, a.instanceId));
  expect(del.status).toBe(200);
  expect(del.body).toEqual({ instancesDeleted: 1 });
  expect((await getStatus(base, a.instanceId)).status).toBe(404);
  expect((await http('DELETE', statusUrl(base, a.instanceId))).status).toBe(404);
  const from = new Date(Date.now() - 1000);
  const b = await run('Chain');
  const c = await run('Chain');
  const r = await http(
    'DELETE',
    `${base}/runtime/webhooks/durabletask/instances/?createdTimeFrom=${from.toISOString()}&runtimeStatus=Completed&instanceIdPrefix=`,
  );
  expect(r.status).toBe(200);
  expect((r.body as { instancesDeleted: number }).instancesDeleted).toBeGreaterThanOrEqual(2);
  expect((await getStatus(base, b.instanceId)).status).toBe(404);
  expect((await getStatus(base, c.instanceId)).status).toBe(404);
  expect((await http('DELETE', `${base}/runtime/webhooks/durabletask/instances/`)).status).toBe(400);
});

test('singleton start: a running instance id conflicts (409); a finished one can be started again', async () => {
  const id = `singleton-${Date.now()}`;
  expect((await startOrchestration(base, 'WaitForever', undefined, id)).status).toBe(202);
  const second = await startOrchestration(base, 'WaitForever', undefined, id);
  expect(second.status).toBe(409);
  // A running instance cannot be purged (412, as the real HttpApiHandler answers).
  await waitForStatus(base, id, ['Running']);
  expect((await http('DELETE', statusUrl(base, id))).status).toBe(412);
  // Through the JS client (startNew rejects), as an app's starter function sees it.
  const viaApp = await http('POST', `${base}/api/orchestrators/WaitForever/${id}`, '');
  expect(viaApp.status).toBe(409);
  await http('POST', `${statusUrl(base, id)}/terminate?reason=x`);
  await waitForStatus(base, id, ['Terminated']);
  expect((await startOrchestration(base, 'Chain', undefined, id)).status).toBe(202);
  const st = await waitForStatus(base, id, ['Completed']);
  expect(st.name).toBe('Chain');
  expect((await startOrchestration(base, 'NoSuchOrchestrator')).status).toBe(400);
});

test('singleton start: of concurrent starts of one instance id exactly one wins, new or finished', async () => {
  for (const previous of ['none', 'finished'] as const) {
    const id = `race-${previous}-${Date.now()}`;
    if (previous === 'finished') {
      expect((await startOrchestration(base, 'Chain', undefined, id)).status).toBe(202);
      await waitForStatus(base, id, ['Completed']);
    }
    const starts = await Promise.all(
      Array.from({ length: 6 }, (_, i) => startOrchestration(base, 'WaitForever', { attempt: i }, id)),
    );
    const statuses = starts.map((r) => r.status).sort();
    expect(statuses).toEqual([202, 409, 409, 409, 409, 409]);
    const winner = starts.findIndex((r) => r.status === 202);
    const running = await waitForStatus(base, id, ['Running']);
    // The instance runs the winner's input: no later start overwrote it.
    expect(running.input).toEqual({ attempt: winner });
    await http('POST', `${statusUrl(base, id)}/terminate?reason=x`);
    await waitForStatus(base, id, ['Terminated']);
  }
});

test('custom status and status codes: 202 + Location while running, 200 when done, 404 unknown', async () => {
  const id = `custom-${Date.now()}`;
  await startOrchestration(base, 'CustomStatus', { hello: 'input' }, id);
  const running = await waitFor('custom status', async () => {
    const r = await getStatus(base, id);
    return r.body.customStatus ? r : undefined;
  });
  expect(running.status).toBe(202);
  expect(running.headers.get('location')).toContain(`/instances/${id}`);
  expect(running.headers.get('retry-after')).toBe('5');
  expect(running.body.customStatus).toEqual({ stage: 'waiting', progress: 50 });
  expect(running.body.input).toEqual({ hello: 'input' });
  expect((await getStatus(base, id, 'showInput=false')).body.input).toBeNull();
  expect(
    (await http('POST', `${statusUrl(base, id)}/raiseEvent/go`, 'x', { 'content-type': 'text/plain' })).status,
  ).toBe(400);
  await http('POST', `${statusUrl(base, id)}/raiseEvent/go`, 1);
  const done = await waitForStatus(base, id);
  expect(done.customStatus).toEqual({ stage: 'done', progress: 100 });
  const final = await getStatus(base, id);
  expect(final.status).toBe(200);
  expect(final.body.createdTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  expect((await getStatus(base, 'nope')).status).toBe(404);
});

test('large payloads (> 64 KB) roundtrip through input, activity, history and output', async () => {
  const big = 'x'.repeat(70_000) + 'é'.repeat(10_000);
  const st = await run('Echo', big);
  expect(st.runtimeStatus).toBe('Completed');
  expect(st.output).toEqual({ length: big.length, same: true, value: big });
  expect(st.input).toBe(big);
});

test('the JS DurableClient (rpcBaseUrl form) and createCheckStatusResponse URLs work against the host', async () => {
  const started = await http('POST', `${base}/api/orchestrators/CustomStatus`, { via: 'client' });
  expect(started.status).toBe(202);
  const payload = started.body as Record<string, string>;
  expect(payload['statusQueryGetUri']).toContain(`${base}/runtime/webhooks/durabletask/instances/`);
  const id = payload['id'] ?? '';
  await waitForStatus(base, id, ['Running']);
  // The URLs from the check-status payload, used as they are.
  const viaUrl = await http('GET', payload['statusQueryGetUri'] ?? '');
  expect(viaUrl.status).toBe(202);
  const status = await http('POST', `${base}/api/client/status/${id}`, { showHistory: true, showInput: true });
  expect((status.body as StatusBody).runtimeStatus).toBe('Running');
  expect((status.body as StatusBody).input).toEqual({ via: 'client' });
  const list = await http('POST', `${base}/api/client/list`, { filter: { runtimeStatus: ['Running'] } });
  expect((list.body as StatusBody[]).some((s) => s.instanceId === id)).toBe(true);
  expect((await http('POST', `${base}/api/client/raise/${id}`, { name: 'go', data: { by: 'client' } })).status).toBe(
    202,
  );
  const done = await waitForStatus(base, id);
  expect(done.output).toEqual({ by: 'client' });
  const mgmt = await http('POST', `${base}/api/client/payload/${id}`);
  expect((mgmt.body as Record<string, string>)['terminatePostUri']).toContain(base);
  const purged = await http('POST', `${base}/api/client/purge/${id}`);
  expect(purged.body).toEqual({ instancesDeleted: 1 });
});

test('list: filters and paging with x-ms-continuation-token', async () => {
  const from = new Date(Date.now() - 1000);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++)
    ids.push(
      ((await startOrchestration(base, 'Chain', undefined, `page-${Date.now()}-${i}`)).body as { id: string }).id,
    );
  for (const id of ids) await waitForStatus(base, id);
  const seen: string[] = [];
  let token: string | null = null;
  let pages = 0;
  do {
    const r: Awaited<ReturnType<typeof http>> = await http(
      'GET',
      `${base}/runtime/webhooks/durabletask/instances/?createdTimeFrom=${from.toISOString()}&runtimeStatus=Completed&instanceIdPrefix=page-&top=2`,
      undefined,
      token ? { 'x-ms-continuation-token': token } : {},
    );
    expect(r.status).toBe(200);
    seen.push(...(r.body as StatusBody[]).map((s) => s.instanceId));
    token = r.headers.get('x-ms-continuation-token');
    pages++;
  } while (token && pages < 20);
  expect(pages).toBeGreaterThanOrEqual(3);
  expect(seen.sort()).toEqual([...ids].sort());
  const none = await http(
    'GET',
    `${base}/runtime/webhooks/durabletask/instances/?createdTimeFrom=${new Date(Date.now() + 3_600_000).toISOString()}`,
  );
  expect(none.body).toEqual([]);
});

test('rewind answers 412 unless Failed, 501 when Failed', async () => {
  const st = await run('Throws');
  expect((await http('POST', `${statusUrl(base, st.instanceId)}/rewind?reason=r`)).status).toBe(501);
  const ok = await run('Chain');
  expect((await http('POST', `${statusUrl(base, ok.instanceId)}/rewind?reason=r`)).status).toBe(412);
});

test('singleton start with overridableExistingInstanceStates AnyState replaces a running instance', async () => {
  const engine = durable.engine;
  if (!engine) throw new Error('engine not started');
  const id = `anystate-${Date.now()}`;
  expect((await startOrchestration(base, 'WaitForever', undefined, id)).status).toBe(202);
  await waitForStatus(base, id, ['Running']);
  engine.settings.overridableStates = 'AnyState';
  try {
    expect((await startOrchestration(base, 'Chain', undefined, id)).status).toBe(202);
  } finally {
    engine.settings.overridableStates = 'NonRunningStates';
  }
  const st = await waitForStatus(base, id, ['Completed']);
  expect(st.name).toBe('Chain');
  expect(st.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
});

test('isReplaying: true while old history replays, false for the new events of the episode', async () => {
  const st = await run('ReplayFlags');
  expect(st.output).toEqual([true, true, false]);
});

test('timers longer than the queue visibility limit hop and still fire at their due time, never early', async () => {
  const engine = durable.engine;
  if (!engine) throw new Error('engine not started');
  const hopsBefore = engine.stats.timerHops;
  engine.store.maxVisibilitySeconds = 1; // stands in for the queue service's 7-day limit
  let st: StatusBody;
  try {
    st = await run('Approval', { timeoutMs: 3900 }); // below maximumTimerInterval: one timer
  } finally {
    engine.store.maxVisibilitySeconds = 7 * 24 * 3600 - 60;
  }
  expect(st.output).toEqual({ approved: false });
  expect(engine.stats.timerHops - hopsBefore).toBeGreaterThanOrEqual(1);
  const events = (await getStatus(base, st.instanceId, 'showHistory=true')).body.historyEvents ?? [];
  const fireAt = events.find((e) => e['EventType'] === 'TimerCreated')?.['FireAt'];
  const fired = events.find((e) => e['EventType'] === 'TimerFired')?.['Timestamp'];
  expect(Date.parse(String(fired))).toBeGreaterThanOrEqual(Date.parse(String(fireAt)));
});

test('an instance row that lags its history (crash between the two writes) is repaired on the next message', async () => {
  const engine = durable.engine;
  if (!engine) throw new Error('engine not started');
  const done = await run('Chain');
  const row = await engine.store.getInstance(done.instanceId);
  if (!row) throw new Error('row missing');
  // The state a crash after the history append and before the row update leaves behind.
  await engine.store.putInstance({ ...row, runtimeStatus: 'Running', output: undefined });
  engine.evict(done.instanceId);
  expect((await getStatus(base, done.instanceId)).body.runtimeStatus).toBe('Running');
  // A redelivered copy of a message already in history (dropped as a duplicate) is all that arrives.
  const duplicate = (await engine.getHistory(done.instanceId, row.executionId)).find(
    (e) => e.EventType === EventType.TaskCompleted,
  );
  if (!duplicate) throw new Error('no TaskCompleted');
  await engine.store.send(engine.store.controlQueueFor(done.instanceId), {
    kind: 'event',
    id: 'dup',
    instanceId: done.instanceId,
    executionId: row.executionId,
    event: duplicate,
  });
  const st = await waitForStatus(base, done.instanceId, ['Completed']);
  expect(st.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
});

test('a finished instance started again runs, though a late message of the old run was handled mid-start', async () => {
  const engine = durable.engine;
  if (!engine) throw new Error('engine not started');
  const first = await run('Chain', undefined, `late-${Date.now()}`);
  const id = first.instanceId;
  const old = await engine.store.getInstance(id);
  if (!old) throw new Error('row missing');
  const control = engine.store.controlQueueFor(id);
  // A late message of the finished run (a canceled timer firing, an event raised just before the end) is handled
  // while the new start is between reading the row and writing it: the episode reads the old, finished row.
  const claim = engine.store.claimInstance.bind(engine.store);
  let injected = false;
  engine.store.claimInstance = async (state, etag) => {
    if (!injected && state.instanceId === id) {
      injected = true;
      await engine.store.send(control, {
        kind: 'timer',
        id: 'late-timer',
        instanceId: id,
        executionId: old.executionId,
        timerId: 99,
        fireAt: new Date().toISOString(),
      });
      // Received, then handled, each given a while but neither required: this start holds the instance's lock, so
      // an engine that serialises an instance's work holds the late message's episode back until the row is
      // written, and its poller, waiting on that episode, may not even receive the message (nor the start message,
      // visible again after it was deferred for want of its row) before the start goes on.
      const late = async (): Promise<boolean> =>
        (await control.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.some((m) =>
          m.messageText.includes('"late-timer"'),
        );
      let until = Date.now() + 5_000;
      while (Date.now() < until && (await late())) await new Promise((r) => setTimeout(r, 50));
      until = Date.now() + 2_000;
      while (Date.now() < until && ((await control.getProperties()).approximateMessagesCount ?? 0) > 0) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return claim(state, etag);
  };
  try {
    expect((await startOrchestration(base, 'Chain', undefined, id)).status).toBe(202);
  } finally {
    engine.store.claimInstance = claim;
  }
  expect(injected).toBe(true);
  const second = await waitForStatus(base, id, ['Completed'], 20_000);
  expect(second.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
  expect((await engine.store.getInstance(id))?.executionId).not.toBe(old.executionId);
});

test('a start that fails between its two writes leaves the finished instance as it was; the retry runs', async () => {
  const engine = durable.engine;
  if (!engine) throw new Error('engine not started');
  const store = engine.store;
  // Storage fails (or the process dies) at the start's message, then at its row: each time the instance must
  // stay what it was (not a Pending row no message will start), so the caller's retry starts the run.
  for (const failing of ['message', 'row'] as const) {
    const id = `half-${failing}-${Date.now()}`;
    await run('Chain', undefined, id);
    const send = store.send.bind(store);
    const claim = store.claimInstance.bind(store);
    let failed = false;
    const fail = (): never => {
      failed = true;
      throw new Error(`storage went away (${failing})`);
    };
    if (failing === 'message') {
      store.send = async (queue, body, delay) => {
        if (!failed && body.kind === 'start' && body.instanceId === id) fail();
        return send(queue, body, delay);
      };
    } else {
      store.claimInstance = async (state, etag) => {
        if (!failed && state.instanceId === id) fail();
        return claim(state, etag);
      };
    }
    try {
      expect((await startOrchestration(base, 'Chain', undefined, id)).status).toBe(500);
    } finally {
      store.send = send;
      store.claimInstance = claim;
    }
    expect(failed).toBe(true);
    expect((await getStatus(base, id)).body.runtimeStatus).toBe('Completed');
    expect((await startOrchestration(base, 'Chain', undefined, id)).status).toBe(202);
    const st = await waitForStatus(base, id, ['Completed'], 20_000);
    expect(st.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
  }
});

test('a start message handled before its row is written waits for the row', async () => {
  const engine = durable.engine;
  if (!engine) throw new Error('engine not started');
  const store = engine.store;
  const id = `early-start-${Date.now()}`;
  const control = store.controlQueueFor(id);
  const claim = store.claimInstance.bind(store);
  let received = false;
  store.claimInstance = async (state, etag) => {
    if (state.instanceId === id) {
      // The start message is on the queue: let the engine take it before the row exists.
      await waitFor('the start message to be received', async () =>
        (await control.peekMessages()).peekedMessageItems.length === 0 ? true : undefined,
      );
      received = true;
      await new Promise((r) => setTimeout(r, 1_500));
    }
    return claim(state, etag);
  };
  try {
    expect((await startOrchestration(base, 'Chain', undefined, id)).status).toBe(202);
  } finally {
    store.claimInstance = claim;
  }
  expect(received).toBe(true);
  const st = await waitForStatus(base, id, ['Completed'], 20_000);
  expect(st.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
});

test('completions of tasks an episode sent but history never recorded do not complete the task now under that id', async () => {
  const engine = durable.engine;
  if (!engine) throw new Error('engine not started');
  const store = engine.store;
  // What an episode that died after sending and before its history write leaves behind for task id 0, which
  // the history gives to the approval's timeout timer (one timer: under the fixture's maximumTimerInterval): an
  // activity's result, and a timer due at another time. Neither may complete the timeout.
  const orphans = (instanceId: string, executionId: string): ControlMessage[] => [
    {
      kind: 'event',
      id: 'orphan-activity',
      instanceId,
      executionId,
      event: {
        EventType: EventType.TaskCompleted,
        EventId: -1,
        IsPlayed: false,
        Timestamp: new Date().toISOString(),
        TaskScheduledId: 0,
        Result: '"read"',
        MessageId: 'orphan-activity',
      },
      task: 'readOperation',
    },
    { kind: 'timer', id: 'orphan-timer', instanceId, executionId, timerId: 0, fireAt: new Date().toISOString() },
  ];
  for (const which of [0, 1]) {
    const id = `orphan-${which}-${Date.now()}`;
    expect((await startOrchestration(base, 'Approval', { timeoutMs: 3_900 }, id)).status).toBe(202);
    await waitFor('the timeout timer to be recorded', async () => {
      const row = await store.getInstance(id);
      const h = row ? await store.readHistory(id, row.executionId) : [];
      return h.some((e) => e.EventType === EventType.TimerCreated) ? row : undefined;
    });
    const row = await store.getInstance(id);
    const orphan = orphans(id, row?.executionId ?? '')[which];
    if (!orphan) throw new Error('no orphan');
    const remove = store.delete.bind(store);
    const handled = new Promise<void>((resolve) => {
      store.delete = async (m) => {
        await remove(m);
        if ((m.body as ControlMessage).id === orphan.id) resolve();
      };
    });
    try {
      await store.send(store.controlQueueFor(id), orphan);
      await handled;
    } finally {
      store.delete = remove;
    }
    const h = await store.readHistory(id, row?.executionId ?? '');
    const created = h.find((e) => e.EventType === EventType.TimerCreated);
    expect(h.filter((e) => e.EventType === EventType.TaskCompleted)).toEqual([]);
    for (const fired of h.filter((e) => e.EventType === EventType.TimerFired))
      expect(fired.FireAt).toBe(created?.FireAt);
    await http('POST', `${statusUrl(base, id)}/terminate?reason=done`);
    await waitForStatus(base, id);
  }
});

test('start and wait (timeout + pollingInterval): 200 with the output when it finishes in time, else 202', async () => {
  const url = `${base}/runtime/webhooks/durabletask/orchestrators/Chain?timeout=30&pollingInterval=1`;
  const done = await http('POST', url, '');
  expect(done.status).toBe(200);
  expect(done.body).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
  const pending = await http(
    'POST',
    `${base}/runtime/webhooks/durabletask/orchestrators/WaitForever?timeout=1&pollingInterval=1`,
    '',
  );
  expect(pending.status).toBe(202);
  expect(pending.headers.get('location')).toContain('/instances/');
  await http('POST', `${statusUrl(base, (pending.body as { id: string }).id)}/terminate?reason=done`);
});
