import { HttpRequest, InvocationContext } from '@azure/functions';

import { resetConfigForTests } from '../../../src/config';
import { goLiveCancelHandler } from '../../../src/functions/goLiveCancel';
import { goLiveListHandler } from '../../../src/functions/goLiveList';
import { goLiveRequestsHandler } from '../../../src/functions/goLiveRequests';
import { goLiveScheduleHandler } from '../../../src/functions/goLiveSchedule';
import { goLiveStartHandler } from '../../../src/functions/goLiveStart';
import { goLiveStatusHandler } from '../../../src/functions/goLiveStatus';
import { publishCompletionHandler } from '../../../src/functions/publishCompletion';
import { eventsQueueOutput, rejectedQueueOutput, requestsQueueOutput } from '../../../src/functions/queues';
import type { StatusClient } from '../../../src/golive/httpApi';
import type { InstanceStatus } from '../../../src/golive/run/record';
import type { RunInput, RunOutput } from '../../../src/golive/run/record';
import type { RunClient } from '../../../src/golive/startOrJoin';

const quiet = () => undefined;
const context = (functionName: string, triggerMetadata?: Record<string, unknown>) =>
  new InvocationContext({
    functionName,
    invocationId: 'inv-1',
    logHandler: quiet,
    ...(triggerMetadata ? { triggerMetadata } : {}),
  });

class MemoryDurable implements RunClient, StatusClient {
  instances = new Map<string, InstanceStatus>();
  raised: { instanceId: string; eventName: string; data: unknown }[] = [];
  async getStatus(id: string) {
    return this.instances.get(id);
  }
  async startNew(_name: string, { instanceId, input }: { instanceId: string; input: RunInput }) {
    this.instances.set(instanceId, {
      name: 'goLiveOrchestrator',
      instanceId,
      runtimeStatus: 'Running',
      input,
      customStatus: {
        runId: input.runId,
        state: 'submitting',
        requestIds: input.requests.map((r) => r.requestId),
        steps: [],
        pollCount: 0,
        warnings: [],
      },
    });
    return instanceId;
  }
  async raiseEvent(instanceId: string, eventName: string, data: unknown) {
    this.raised.push({ instanceId, eventName, data });
    const s = this.instances.get(instanceId);
    if (s && eventName === 'requestJoined') {
      const custom = s.customStatus as { requestIds: string[] };
      custom.requestIds.push((data as { requestId: string }).requestId);
    }
  }
  async listInstances() {
    return [...this.instances.values()];
  }
}

describe('goLiveRequests (queue trigger)', () => {
  it('starts a run for a valid message and joins the same offer’s run for the next one', async () => {
    const durable = new MemoryDurable();
    await goLiveRequestsHandler(
      { publisherId: 'contoso', offerId: 'app' },
      durable,
      context('goLiveRequests', { id: 'm-1', queueTrigger: '{"publisherId":"contoso","offerId":"app"}' }),
    );
    expect([...durable.instances.keys()]).toEqual(['golive:contoso:app']);
    await goLiveRequestsHandler(
      {},
      durable,
      context('goLiveRequests', {
        id: 'm-2',
        queueTrigger: '{"publisherId":"contoso","offerId":"app","requestedBy":"ops"}',
      }),
    );
    expect(durable.raised).toEqual([
      {
        instanceId: 'golive:contoso:app',
        eventName: 'requestJoined',
        data: expect.objectContaining({ requestId: 'm-2', requestedBy: 'ops' }),
      },
    ]);
  });

  it('writes an invalid message to golive-rejected and a golive.rejected event, and returns normally', async () => {
    const durable = new MemoryDurable();
    const ctx = context('goLiveRequests', { id: 'm-3', queueTrigger: 'not json' });
    await expect(goLiveRequestsHandler('not json', durable, ctx)).resolves.toBeUndefined();
    const rejected = JSON.parse(ctx.extraOutputs.get(rejectedQueueOutput) as string) as Record<string, unknown>;
    expect(rejected).toEqual({
      originalText: 'not json',
      reason: 'message is not valid JSON',
      rejectedAt: expect.any(String),
      messageId: 'm-3',
    });
    const event = JSON.parse(ctx.extraOutputs.get(eventsQueueOutput) as string) as Record<string, unknown>;
    expect(event).toMatchObject({ specversion: '1.0', type: 'golive.rejected', id: 'golive-rejected-m-3' });
    expect(durable.instances.size).toBe(0);
  });

  it('throws on a Durable client failure so the queue retries the message', async () => {
    const durable = new MemoryDurable();
    durable.getStatus = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    await expect(
      goLiveRequestsHandler(
        {},
        durable,
        context('goLiveRequests', { id: 'm-4', queueTrigger: '{"publisherId":"contoso","offerId":"app"}' }),
      ),
    ).rejects.toThrow('ECONNREFUSED');
  });
});

describe('goLiveStart (POST /api/golive/{publisherId}/{offerId})', () => {
  it('enqueues the request through the output binding and answers 202 with Location', async () => {
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://localhost:7071/api/golive/contoso/app',
      params: { publisherId: 'contoso', offerId: 'app' },
      body: { string: '{"requestedBy":"alice","requestId":"chg-1"}' },
    });
    const ctx = context('goLiveStart');
    const response = await goLiveStartHandler(request, ctx);
    expect(response.status).toBe(202);
    expect(response.headers).toMatchObject({ Location: 'http://localhost:7071/api/golive/contoso/app' });
    expect(response.jsonBody).toMatchObject({ requestId: 'chg-1' });
    expect(JSON.parse(ctx.extraOutputs.get(requestsQueueOutput) as string)).toEqual({
      publisherId: 'contoso',
      offerId: 'app',
      requestId: 'chg-1',
      requestedBy: 'alice',
    });
  });

  it('generates a request id when none is given, and refuses bad ids without enqueueing', async () => {
    const ok = context('goLiveStart');
    const r = await goLiveStartHandler(
      new HttpRequest({
        method: 'POST',
        url: 'http://h/api/golive/contoso/app',
        params: { publisherId: 'contoso', offerId: 'app' },
      }),
      ok,
    );
    expect((r.jsonBody as { requestId: string }).requestId).toMatch(/^http-[0-9a-f-]{36}$/);
    const bad = context('goLiveStart');
    const refused = await goLiveStartHandler(
      new HttpRequest({
        method: 'POST',
        url: 'http://h/api/golive/X/app',
        params: { publisherId: 'X', offerId: 'app' },
      }),
      bad,
    );
    expect(refused.status).toBe(400);
    expect(bad.extraOutputs.get(requestsQueueOutput)).toBeUndefined();
  });
});

describe('status, list and cancel routes', () => {
  async function withRun() {
    const durable = new MemoryDurable();
    await goLiveRequestsHandler(
      {},
      durable,
      context('goLiveRequests', { id: 'm-1', queueTrigger: '{"publisherId":"contoso","offerId":"app"}' }),
    );
    return durable;
  }

  it('GET shows the run, GET list lists it, cancel raises the event', async () => {
    const durable = await withRun();
    const params = { publisherId: 'contoso', offerId: 'app' };
    const status = await goLiveStatusHandler(
      new HttpRequest({ method: 'GET', url: 'http://h/api/golive/contoso/app', params }),
      durable,
    );
    expect(status.status).toBe(200);
    expect(status.jsonBody).toMatchObject({
      publisherId: 'contoso',
      offerId: 'app',
      state: 'submitting',
      requestIds: ['m-1'],
    });
    const list = await goLiveListHandler(
      new HttpRequest({ method: 'GET', url: 'http://h/api/golive?state=running' }),
      durable,
    );
    expect((list.jsonBody as { runs: unknown[] }).runs).toHaveLength(1);
    const cancel = await goLiveCancelHandler(
      new HttpRequest({ method: 'POST', url: 'http://h/api/golive/contoso/app/cancel', params }),
      durable,
    );
    expect(cancel.status).toBe(202);
    expect(durable.raised.at(-1)).toMatchObject({ eventName: 'cancel' });
  });

  it('answers 404 for an offer that never ran', async () => {
    const durable = new MemoryDurable();
    const params = { publisherId: 'nobody', offerId: 'x' };
    expect(
      (
        await goLiveStatusHandler(
          new HttpRequest({ method: 'GET', url: 'http://h/api/golive/nobody/x', params }),
          durable,
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await goLiveCancelHandler(
          new HttpRequest({ method: 'POST', url: 'http://h/api/golive/nobody/x/cancel', params }),
          durable,
        )
      ).status,
    ).toBe(404);
  });
});

describe('goLiveSchedule (timer)', () => {
  afterEach(() => {
    delete process.env.GOLIVE_SCHEDULED_OFFERS;
    resetConfigForTests();
  });

  it('enqueues one request per configured offer through the output binding', () => {
    process.env.GOLIVE_SCHEDULED_OFFERS = 'contoso/app, fabrikam/vm';
    resetConfigForTests();
    const ctx = context('goLiveSchedule');
    goLiveScheduleHandler(
      {
        isPastDue: false,
        schedule: { adjustForDST: true },
        scheduleStatus: { last: '', next: '2026-01-01T06:00:00Z', lastUpdated: '' },
      },
      ctx,
    );
    const messages = (ctx.extraOutputs.get(requestsQueueOutput) as string[]).map(
      (m) => JSON.parse(m) as Record<string, string>,
    );
    expect(messages.map((m) => [m.publisherId, m.offerId, m.requestedBy])).toEqual([
      ['contoso', 'app', 'schedule'],
      ['fabrikam', 'vm', 'schedule'],
    ]);
  });

  it('enqueues nothing without configured offers', () => {
    const ctx = context('goLiveSchedule');
    goLiveScheduleHandler(
      { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: '', next: '', lastUpdated: '' } },
      ctx,
    );
    expect(ctx.extraOutputs.get(requestsQueueOutput)).toBeUndefined();
  });
});

describe('publishCompletion (activity)', () => {
  it('writes the CloudEvent to golive-events through the output binding', () => {
    const output: RunOutput = {
      runId: 'r1',
      runNumber: 1,
      target: { api: 'cpp', publisherId: 'contoso', offerId: 'app' },
      outcome: 'canceled',
      steps: [],
      pollCount: 1,
      requests: [],
      requestIds: ['a'],
      startedAt: '2026-01-01T00:00:00.000Z',
      completedAt: '2026-01-01T00:01:00.000Z',
      durationSeconds: 60,
      warnings: [],
      eventId: 'golive-r1',
      previousRuns: [],
    };
    const ctx = context('publishCompletion');
    expect(publishCompletionHandler({ output }, ctx)).toEqual({ eventId: 'golive-r1', type: 'golive.canceled' });
    expect(JSON.parse(ctx.extraOutputs.get(eventsQueueOutput) as string)).toMatchObject({
      id: 'golive-r1',
      type: 'golive.canceled',
      source: '/publishers/contoso/offers/app',
    });
  });
});
