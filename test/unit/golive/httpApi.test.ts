import { cancelRun, getRun, listRuns, requestFromPost, type StatusClient } from '../../../src/golive/httpApi';
import type { InstanceStatus } from '../../../src/golive/run/record';
import type { RunCustomStatus, RunInput, RunOutput } from '../../../src/golive/run/record';

const startOptions = {
  defaultApi: 'cpp' as const,
  statusUrl: (p: string, o: string) => `http://host/api/golive/${p}/${o}`,
  newRequestId: () => 'http-fixed',
};

const input: RunInput = {
  runId: 'run-2',
  runNumber: 2,
  target: { api: 'cpp', publisherId: 'contoso', offerId: 'app' },
  requests: [{ requestId: 'req-1', requestedBy: 'pipeline', receivedAt: '2026-01-01T00:00:00.000Z' }],
  startedAt: '2026-01-01T00:00:00.000Z',
  deadlineAt: '2026-01-02T00:00:00.000Z',
  settings: {
    pollIntervalSeconds: 60,
    pollMaxIntervalSeconds: 600,
    deadlineMinutes: 1440,
    pollsPerHistory: 10,
    maxSubmitAttempts: 3,
  },
  previousRuns: [
    {
      runId: 'run-1',
      runNumber: 1,
      outcome: 'failed',
      requestIds: ['old'],
      startedAt: 'a',
      completedAt: 'b',
      pollCount: 0,
    },
  ],
};
const custom: RunCustomStatus = {
  runId: 'run-2',
  target: input.target,
  state: 'polling',
  operationId: 'op-1',
  operationStatus: 'running',
  steps: [{ name: 'Live', status: 'inProgress', progress: 40 }],
  progressPercentage: 40,
  pollCount: 3,
  lastCheckedAt: '2026-01-01T00:03:00.000Z',
  nextCheckAt: '2026-01-01T00:04:00.000Z',
  requestIds: ['req-1', 'req-2'],
  requestCount: 2,
  startedAt: input.startedAt,
  deadlineAt: input.deadlineAt,
  warnings: [],
  checks: [],
};
const running: InstanceStatus = {
  name: 'goLiveOrchestrator',
  instanceId: 'golive:contoso:app',
  runtimeStatus: 'Running',
  input,
  customStatus: custom,
  createdTime: '2026-01-01T00:00:00Z',
  lastUpdatedTime: '2026-01-01T00:03:00Z',
};
const output: RunOutput = {
  runId: 'run-9',
  runNumber: 9,
  target: { api: 'cpp', publisherId: 'fabrikam', offerId: 'vm' },
  outcome: 'succeeded',
  operationId: 'op-9',
  operationStatus: 'complete',
  steps: [],
  pollCount: 2,
  requests: [{ requestId: 'r9', receivedAt: 'x' }],
  requestIds: ['r9'],
  startedAt: '2026-01-01T00:00:00.000Z',
  completedAt: '2026-01-01T00:02:00.000Z',
  durationSeconds: 120,
  warnings: [],
  eventId: 'golive-run-9',
  previousRuns: [],
};
const completed: InstanceStatus = {
  name: 'goLiveOrchestrator',
  instanceId: 'golive:fabrikam:vm',
  runtimeStatus: 'Completed',
  output,
  createdTime: '2026-01-01T00:00:00Z',
  lastUpdatedTime: '2026-01-01T00:02:00Z',
};

class FakeStatusClient implements StatusClient {
  raised: { instanceId: string; eventName: string; data: unknown }[] = [];
  listFilters: (string[] | undefined)[] = [];
  constructor(private instances: InstanceStatus[]) {}
  async getStatus(instanceId: string) {
    return this.instances.find((i) => i.instanceId === instanceId);
  }
  async listInstances(runtimeStatus: string[] | undefined) {
    this.listFilters.push(runtimeStatus);
    return this.instances
      .filter((i) => !runtimeStatus || runtimeStatus.includes(i.runtimeStatus))
      .map(({ input: _input, ...rest }) => rest);
  }
  async raiseEvent(instanceId: string, eventName: string, data: unknown) {
    this.raised.push({ instanceId, eventName, data });
  }
  replace(status: InstanceStatus) {
    const i = this.instances.findIndex((x) => x.instanceId === status.instanceId);
    this.instances[i] = status;
  }
}

describe('requestFromPost (POST /api/golive/{publisherId}/{offerId})', () => {
  it('answers 202 with Location and the request id, and returns the queue message', () => {
    const { response, message } = requestFromPost({ publisherId: 'contoso', offerId: 'app' }, '', startOptions);
    expect(response).toEqual({
      status: 202,
      headers: { Location: 'http://host/api/golive/contoso/app', 'Retry-After': '10' },
      jsonBody: {
        requestId: 'http-fixed',
        publisherId: 'contoso',
        offerId: 'app',
        statusUrl: 'http://host/api/golive/contoso/app',
        cancelUrl: 'http://host/api/golive/contoso/app/cancel',
      },
    });
    expect(JSON.parse(message!)).toEqual({
      publisherId: 'contoso',
      offerId: 'app',
      requestId: 'http-fixed',
      requestedBy: 'http',
    });
  });

  it('takes requestedBy and requestId from the body; the route ids win', () => {
    const { response, message } = requestFromPost(
      { publisherId: 'contoso', offerId: 'app' },
      JSON.stringify({ requestedBy: 'alice', requestId: 'change-7', publisherId: 'other', extra: 1 }),
      startOptions,
    );
    expect(response.status).toBe(202);
    expect(JSON.parse(message!)).toEqual({
      publisherId: 'contoso',
      offerId: 'app',
      requestId: 'change-7',
      requestedBy: 'alice',
    });
  });

  it.each([
    [{ publisherId: 'Contoso', offerId: 'app' }, '', 400, 'InvalidPublisherId'],
    [{ publisherId: 'contoso', offerId: 'a b' }, '', 400, 'InvalidOfferId'],
    [{ publisherId: 'contoso' }, '', 400, 'InvalidOfferId'],
    [{ publisherId: 'contoso', offerId: 'app' }, '{bad', 400, 'InvalidJson'],
    [{ publisherId: 'contoso', offerId: 'app' }, '[1]', 400, 'InvalidBody'],
    [{ publisherId: 'contoso', offerId: 'app' }, '{"requestId":"a/b"}', 400, 'InvalidRequest'],
    [{ publisherId: 'contoso', offerId: 'app' }, `{"requestedBy":"${'x'.repeat(5000)}"}`, 413, 'BodyTooLarge'],
  ])('refuses %j %s with %i %s and enqueues nothing', (params, body, status, code) => {
    const { response, message } = requestFromPost(params, body, startOptions);
    expect(response.status).toBe(status);
    expect(response.jsonBody).toMatchObject({ error: { code } });
    expect(message).toBeUndefined();
  });
});

describe('getRun (GET /api/golive/{publisherId}/{offerId})', () => {
  it('shows the running run: state, operation status, steps, progress, polls, next check, requests, previous runs', async () => {
    const r = await getRun({ publisherId: 'contoso', offerId: 'app' }, new FakeStatusClient([running]));
    expect(r.status).toBe(200);
    expect(r.jsonBody).toMatchObject({
      publisherId: 'contoso',
      offerId: 'app',
      runId: 'run-2',
      state: 'polling',
      active: true,
      operationId: 'op-1',
      operationStatus: 'running',
      steps: [{ name: 'Live', status: 'inProgress', progress: 40 }],
      progressPercentage: 40,
      pollCount: 3,
      nextCheckAt: '2026-01-01T00:04:00.000Z',
      outcome: null,
      requestIds: ['req-1', 'req-2'],
      previousRuns: [{ runId: 'run-1' }],
    });
  });

  it('shows the last run outcome once it ended, and 404 for an offer that never ran', async () => {
    const client = new FakeStatusClient([completed]);
    const r = await getRun({ publisherId: 'fabrikam', offerId: 'vm' }, client);
    expect(r.jsonBody).toMatchObject({
      state: 'succeeded',
      outcome: 'succeeded',
      active: false,
      nextCheckAt: null,
      durationSeconds: 120,
    });
    expect((await getRun({ publisherId: 'nobody', offerId: 'x' }, client)).status).toBe(404);
    expect((await getRun({ publisherId: 'BAD', offerId: 'x' }, client)).status).toBe(400);
  });
});

describe('listRuns (GET /api/golive)', () => {
  const other: InstanceStatus = { name: 'somethingElse', instanceId: 'abc', runtimeStatus: 'Running' };

  it('lists go-live runs only, most recently updated first, reading inputs the listing left out', async () => {
    const client = new FakeStatusClient([completed, running, other]);
    const r = await listRuns(new URLSearchParams(), client);
    const body = r.jsonBody as { runs: { runId: string }[]; count: number };
    expect(body.runs.map((x) => x.runId)).toEqual(['run-2', 'run-9']);
    expect(body.count).toBe(2);
  });

  it('filters by state', async () => {
    const client = new FakeStatusClient([completed, running]);
    const runningOnly = (await listRuns(new URLSearchParams('state=running'), client)).jsonBody as {
      runs: { runId: string }[];
    };
    expect(runningOnly.runs.map((x) => x.runId)).toEqual(['run-2']);
    const succeeded = (await listRuns(new URLSearchParams('state=succeeded'), client)).jsonBody as {
      runs: { runId: string }[];
    };
    expect(succeeded.runs.map((x) => x.runId)).toEqual(['run-9']);
    const failed = (await listRuns(new URLSearchParams('state=failed'), client)).jsonBody as { runs: unknown[] };
    expect(failed.runs).toEqual([]);
    expect(client.listFilters[0]).toEqual(['Pending', 'Running', 'ContinuedAsNew', 'Suspended']);
  });

  it('refuses unknown states and bad limits', async () => {
    const client = new FakeStatusClient([]);
    expect((await listRuns(new URLSearchParams('state=done'), client)).status).toBe(400);
    expect((await listRuns(new URLSearchParams('limit=0'), client)).status).toBe(400);
    expect((await listRuns(new URLSearchParams('limit=abc'), client)).status).toBe(400);
  });
});

describe('cancelRun (POST /api/golive/{publisherId}/{offerId}/cancel)', () => {
  const now = new Date('2026-01-01T00:05:00Z');
  const url = (p: string, o: string) => `http://host/api/golive/${p}/${o}`;

  const noWait = { confirmMs: 500, sleep: async () => undefined };

  it('raises cancel to the active run and answers 202', async () => {
    const client = new FakeStatusClient([running]);
    const taken = { ...running, customStatus: { ...custom, state: 'canceling' } };
    const original = client.raiseEvent.bind(client);
    client.raiseEvent = async (id, name, data) => {
      await original(id, name, data);
      client.replace(taken);
    };
    const r = await cancelRun(
      { publisherId: 'contoso', offerId: 'app' },
      '{"requestedBy":"ops"}',
      client,
      url,
      now,
      noWait,
    );
    expect(r).toEqual({
      status: 202,
      headers: { Location: 'http://host/api/golive/contoso/app' },
      jsonBody: {
        publisherId: 'contoso',
        offerId: 'app',
        runId: 'run-2',
        statusUrl: 'http://host/api/golive/contoso/app',
      },
    });
    expect(client.raised).toEqual([
      {
        instanceId: 'golive:contoso:app',
        eventName: 'cancel',
        data: { requestedAt: now.toISOString(), requestedBy: 'ops' },
      },
    ]);
  });

  it('raises the cancel once more when the run has not taken it (lost in a continueAsNew)', async () => {
    const client = new FakeStatusClient([running]);
    const r = await cancelRun({ publisherId: 'contoso', offerId: 'app' }, '', client, url, now, noWait);
    expect(r.status).toBe(202);
    expect(client.raised.map((e) => e.eventName)).toEqual(['cancel', 'cancel']);
  });

  it('answers 404 when the offer never ran and 409 with the run when it already ended', async () => {
    const client = new FakeStatusClient([completed]);
    expect((await cancelRun({ publisherId: 'x', offerId: 'y' }, '', client, url, now)).status).toBe(404);
    const ended = await cancelRun({ publisherId: 'fabrikam', offerId: 'vm' }, '', client, url, now);
    expect(ended.status).toBe(409);
    expect(ended.jsonBody).toMatchObject({ error: { code: 'RunEnded' }, run: { outcome: 'succeeded' } });
    expect(client.raised).toHaveLength(0);
  });

  it('answers 409 when the run has its outcome and is publishing its event (still Running)', async () => {
    const publishing = { ...running, customStatus: { ...custom, state: 'canceled' } };
    const client = new FakeStatusClient([publishing]);
    const r = await cancelRun({ publisherId: 'contoso', offerId: 'app' }, '', client, url, now, noWait);
    expect(r.status).toBe(409);
    expect(r.jsonBody).toMatchObject({ error: { code: 'RunEnded' }, run: { state: 'canceled', active: true } });
    expect(client.raised).toHaveLength(0);
  });
});
