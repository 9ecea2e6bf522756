import { ORCHESTRATOR_NAME, RECONCILE_ORCHESTRATOR_NAME } from '../../../src/golive/contracts';
import type { GoLiveRequest } from '../../../src/golive/request';
import type { InstanceStatus } from '../../../src/golive/run/record';
import type { RunInput, RunOutput, RunSettings } from '../../../src/golive/run/record';
import { JoinNotConfirmedError, type RunClient, startOrJoin } from '../../../src/golive/startOrJoin';

const settings: RunSettings = {
  pollIntervalSeconds: 60,
  pollMaxIntervalSeconds: 600,
  deadlineMinutes: 120,
  pollsPerHistory: 50,
  maxSubmitAttempts: 5,
};
const NOW = new Date('2026-01-01T10:00:00.000Z');
const ID = 'golive:contoso:app';
const request = (requestId: string, requestedBy?: string): GoLiveRequest => ({
  publisherId: 'contoso',
  offerId: 'app',
  requestId,
  api: 'cpp',
  ...(requestedBy ? { requestedBy } : {}),
});

/** A Durable client over one in-memory instance; `onRaise` plays the orchestrator's part. */
class FakeClient implements RunClient {
  status: InstanceStatus | undefined;
  started: { name: string; instanceId: string; input: RunInput }[] = [];
  raised: { eventName: string; data: unknown }[] = [];
  onRaise: (data: { requestId: string }) => void = (data) => this.record(data.requestId);
  startError: Error | undefined;
  onStartError: () => void = () => undefined;
  getStatusCalls = 0;

  async getStatus(instanceId: string) {
    expect(instanceId).toBe(ID);
    this.getStatusCalls += 1;
    return this.status ? structuredClone(this.status) : undefined;
  }
  async startNew(name: string, options: { instanceId: string; input: RunInput }) {
    if (this.startError) {
      this.onStartError();
      throw this.startError;
    }
    this.started.push({ name, ...options });
    if (name === RECONCILE_ORCHESTRATOR_NAME) {
      // The reconcile orchestration publishes and ends with the run's output at once.
      const { output } = options.input as unknown as { output: RunOutput };
      this.status = { instanceId: options.instanceId, name, runtimeStatus: 'Completed', output };
      return options.instanceId;
    }
    this.status = { instanceId: options.instanceId, runtimeStatus: 'Pending', input: options.input };
    return options.instanceId;
  }
  async raiseEvent(_id: string, eventName: string, data: unknown) {
    this.raised.push({ eventName, data });
    this.onRaise(data as { requestId: string });
  }
  record(requestId: string) {
    const s = this.status!;
    const custom = (s.customStatus ?? { runId: 'run-a', requestIds: [] }) as { runId: string; requestIds: string[] };
    s.customStatus = { ...custom, requestIds: [...custom.requestIds, requestId] };
  }
}

const noSleep = async () => undefined;
const opts = (client: RunClient, extra = {}) => ({ client, settings, now: () => NOW, sleep: noSleep, ...extra });

function runningStatus(requestIds: string[]): InstanceStatus {
  return {
    instanceId: ID,
    runtimeStatus: 'Running',
    input: {
      runId: 'run-a',
      runNumber: 1,
      target: { api: 'cpp', publisherId: 'contoso', offerId: 'app' },
      requests: [{ requestId: requestIds[0], receivedAt: NOW.toISOString() }],
      previousRuns: [],
    },
    customStatus: { runId: 'run-a', requestIds },
  };
}

function completedStatus(requestIds: string[], previousRuns: RunOutput['previousRuns'] = []): InstanceStatus {
  const output: Partial<RunOutput> = {
    runId: 'run-a',
    runNumber: 4,
    target: { api: 'cpp', publisherId: 'contoso', offerId: 'app' },
    outcome: 'failed',
    operationId: 'op-1',
    requestIds,
    requests: requestIds.map((requestId) => ({ requestId, receivedAt: NOW.toISOString() })),
    startedAt: '2026-01-01T08:00:00.000Z',
    completedAt: '2026-01-01T09:00:00.000Z',
    pollCount: 7,
    error: { code: 'BadRequest', message: 'nope', statusCode: 400, body: { big: 'body' } },
    previousRuns,
  };
  return { instanceId: ID, runtimeStatus: 'Completed', output };
}

describe('startOrJoin', () => {
  it('starts the first run of an offer with its instance id, a deterministic run id and the settings', async () => {
    const client = new FakeClient();
    const outcome = await startOrJoin(request('req-1', 'pipeline'), opts(client));
    expect(outcome).toMatchObject({ kind: 'started', instanceId: ID });
    expect(client.started).toHaveLength(1);
    const { name, input } = client.started[0]!;
    expect(name).toBe(ORCHESTRATOR_NAME);
    expect(input).toMatchObject({
      runNumber: 1,
      target: { api: 'cpp', publisherId: 'contoso', offerId: 'app' },
      requests: [{ requestId: 'req-1', requestedBy: 'pipeline', receivedAt: NOW.toISOString() }],
      startedAt: NOW.toISOString(),
      deadlineAt: '2026-01-01T12:00:00.000Z',
      settings,
      previousRuns: [],
    });
    expect(outcome.kind === 'started' && outcome.runId).toBe(input.runId);
    const again = new FakeClient();
    await startOrJoin(request('req-1', 'pipeline'), opts(again));
    expect(again.started[0]!.input.runId).toBe(input.runId);
    expect(JSON.stringify(input)).not.toMatch(/token|secret/i);
  });

  it('joins a running run: raises requestJoined, waits until the run records it, never starts', async () => {
    const client = new FakeClient();
    client.status = runningStatus(['req-1']);
    const outcome = await startOrJoin(request('req-2', 'ops'), opts(client));
    expect(outcome).toEqual({ kind: 'joined', instanceId: ID, runId: 'run-a' });
    expect(client.started).toHaveLength(0);
    expect(client.raised).toEqual([
      {
        eventName: 'requestJoined',
        data: { requestId: 'req-2', requestedBy: 'ops', receivedAt: NOW.toISOString(), runId: 'run-a' },
      },
    ]);
  });

  it('does nothing for a redelivered request the running run already recorded (in its input or status)', async () => {
    const client = new FakeClient();
    client.status = runningStatus(['req-1']);
    expect(await startOrJoin(request('req-1'), opts(client))).toMatchObject({ kind: 'duplicate' });
    client.status = { ...runningStatus(['req-1']), runtimeStatus: 'Pending', customStatus: undefined };
    expect(await startOrJoin(request('req-1'), opts(client))).toMatchObject({ kind: 'duplicate' });
    expect(client.raised).toHaveLength(0);
    expect(client.started).toHaveLength(0);
  });

  it('does nothing for a request the finished run (or a run it carries) already handled', async () => {
    const client = new FakeClient();
    client.status = completedStatus(['req-1', 'req-2']);
    expect(await startOrJoin(request('req-2'), opts(client))).toMatchObject({ kind: 'duplicate', runId: 'run-a' });
    client.status = completedStatus(
      ['req-9'],
      [
        {
          runId: 'old',
          runNumber: 3,
          outcome: 'succeeded',
          requestIds: ['req-1'],
          startedAt: 'a',
          completedAt: 'b',
          pollCount: 1,
        },
      ],
    );
    expect(await startOrJoin(request('req-1'), opts(client))).toMatchObject({ kind: 'duplicate' });
    expect(client.started).toHaveLength(0);
  });

  it('starts the next run after a finished one, carrying a bounded list of previous runs', async () => {
    const older = Array.from({ length: 12 }, (_, i) => ({
      runId: `r${i}`,
      runNumber: 3 - i,
      outcome: 'succeeded' as const,
      requestIds: [`old-${i}`],
      startedAt: 'a',
      completedAt: 'b',
      pollCount: 1,
    }));
    const client = new FakeClient();
    client.status = completedStatus(['req-1'], older);
    const outcome = await startOrJoin(request('req-5'), opts(client));
    expect(outcome.kind).toBe('started');
    const input = client.started[0]!.input;
    expect(input.runNumber).toBe(5);
    expect(input.previousRuns).toHaveLength(10);
    expect(input.previousRuns[0]).toEqual({
      runId: 'run-a',
      runNumber: 4,
      outcome: 'failed',
      operationId: 'op-1',
      requestIds: ['req-1'],
      startedAt: '2026-01-01T08:00:00.000Z',
      completedAt: '2026-01-01T09:00:00.000Z',
      pollCount: 7,
      error: { code: 'BadRequest', message: 'nope', statusCode: 400 },
    });
    expect(input.previousRuns[1]!.runId).toBe('r0');
  });

  it('publishes the event of an orchestration that failed without output, then starts the next run', async () => {
    const client = new FakeClient();
    client.status = { ...runningStatus(['req-1']), runtimeStatus: 'Failed', customStatus: undefined };
    (client.status.input as RunInput).startedAt = '2026-01-01T08:00:00.000Z';
    await startOrJoin(request('req-2'), opts(client));
    expect(client.started.map((s) => s.name)).toEqual([RECONCILE_ORCHESTRATOR_NAME, ORCHESTRATOR_NAME]);
    const owed = (client.started[0]!.input as unknown as { output: RunOutput }).output;
    expect(owed).toMatchObject({
      runId: 'run-a',
      outcome: 'failed',
      requestIds: ['req-1'],
      error: { code: 'RunFailed' },
    });
    const input = client.started[1]!.input;
    expect(input.runNumber).toBe(2);
    expect(input.previousRuns[0]).toMatchObject({
      runId: 'run-a',
      outcome: 'failed',
      requestIds: ['req-1'],
      error: { code: 'RunFailed' },
    });
  });

  it('joins when a concurrent start won the race', async () => {
    const client = new FakeClient();
    client.startError = new Error('An instance with ID golive:contoso:app already exists (409)');
    client.onStartError = () => {
      client.status = runningStatus(['req-other']);
    };
    const outcome = await startOrJoin(request('req-1'), opts(client));
    expect(outcome.kind).toBe('joined');
    expect(client.raised.map((r) => r.eventName)).toEqual(['requestJoined']);
  });

  it('throws (so the queue retries) when the start fails and no run is active', async () => {
    const client = new FakeClient();
    client.startError = new Error('durable backend unavailable');
    await expect(startOrJoin(request('req-1'), opts(client))).rejects.toThrow('durable backend unavailable');
  });

  it('throws JoinNotConfirmedError when the run does not record the join within the budget', async () => {
    const client = new FakeClient();
    client.status = runningStatus(['req-1']);
    client.onRaise = () => undefined;
    await expect(startOrJoin(request('req-2'), opts(client, { joinConfirmMs: 1000 }))).rejects.toBeInstanceOf(
      JoinNotConfirmedError,
    );
    expect(client.started).toHaveLength(0);
  });

  it('starts the next run when the run ended without recording the join', async () => {
    const client = new FakeClient();
    client.status = runningStatus(['req-1']);
    client.onRaise = () => {
      client.status = completedStatus(['req-1']);
    };
    const outcome = await startOrJoin(request('req-2'), opts(client));
    expect(outcome.kind).toBe('started');
    expect(client.started[0]!.input.requests[0]!.requestId).toBe('req-2');
    expect(client.started[0]!.input.previousRuns[0]!.requestIds).toEqual(['req-1']);
  });

  it('lets a failing status read throw', async () => {
    const client = new FakeClient();
    client.getStatus = async () => {
      throw new Error('ECONNREFUSED');
    };
    await expect(startOrJoin(request('req-1'), opts(client))).rejects.toThrow('ECONNREFUSED');
  });
});

describe('startOrJoin: each request id accounted for by exactly one run', () => {
  const previousRun = (requestIds: string[], completedAt = '2026-01-01T09:59:00.000Z') => ({
    runId: 'run-prev',
    runNumber: 1,
    outcome: 'succeeded' as const,
    requestIds,
    startedAt: '2026-01-01T09:50:00.000Z',
    completedAt,
    pollCount: 3,
  });

  it('a late redelivery of the previous run’s request while the next run goes is a duplicate, never joined', async () => {
    const client = new FakeClient();
    client.status = runningStatus(['req-2']);
    (client.status.input as RunInput).previousRuns = [previousRun(['req-1'])];
    expect(await startOrJoin(request('req-1'), opts(client))).toMatchObject({ kind: 'duplicate' });
    expect(client.raised).toHaveLength(0);
    expect(client.started).toHaveLength(0);
  });

  it('addresses the join to the run it saw, and joins the next run when that one ended and another began', async () => {
    const client = new FakeClient();
    client.status = runningStatus(['req-1']);
    let raises = 0;
    client.onRaise = (data) => {
      raises += 1;
      if (raises === 1) {
        // run-a completed without the join and another request started run-b before the run took it.
        const next = runningStatus(['req-other']);
        (next.input as RunInput).runId = 'run-b';
        next.customStatus = { runId: 'run-b', requestIds: ['req-other'] };
        (next.input as RunInput).previousRuns = [{ ...previousRun(['req-1']), runId: 'run-a' }];
        client.status = next;
      } else {
        client.record(data.requestId);
      }
    };
    const outcome = await startOrJoin(request('req-2'), opts(client, { joinConfirmMs: 1000 }));
    expect(outcome).toEqual({ kind: 'joined', instanceId: ID, runId: 'run-b' });
    expect(client.raised.map((r) => (r.data as { runId?: string }).runId)).toEqual(['run-a', 'run-b']);
    expect(client.started).toHaveLength(0);
  });

  it('a finished run whose output lacks the request has not accounted for it, whatever its last custom status says', async () => {
    const client = new FakeClient();
    client.status = completedStatus(['req-1']);
    client.status.customStatus = { runId: 'run-a', requestIds: ['req-1', 'req-2'] };
    const outcome = await startOrJoin(request('req-2'), opts(client));
    expect(outcome.kind).toBe('started');
    expect(client.started[0]!.input.requests.map((r) => r.requestId)).toEqual(['req-2']);
  });

  it('two copies handled at once by one process never both start (start is not atomic in the backend)', async () => {
    const client = new FakeClient();
    // A backend whose existence check and write are separate storage calls (as the Azure Storage provider's).
    const plainStart = client.startNew.bind(client);
    client.startNew = async (name, options) => {
      if (client.status && !['Completed', 'Failed', 'Terminated'].includes(client.status.runtimeStatus)) {
        throw new Error('An instance with ID golive:contoso:app already exists (409)');
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
      return plainStart(name, options);
    };
    const outcomes = await Promise.all([
      startOrJoin(request('req-1'), opts(client)),
      startOrJoin(request('req-1'), opts(client)),
      startOrJoin(request('req-2'), opts(client)),
    ]);
    expect(client.started).toHaveLength(1);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['duplicate', 'joined', 'started']);
  });

  it('does not report a start another start overwrote: it joins the run the backend shows', async () => {
    const client = new FakeClient();
    const plainStart = client.startNew.bind(client);
    client.startNew = async (name, options) => {
      const id = await plainStart(name, options);
      // A concurrent start (another process) wrote its run over ours.
      client.status = runningStatus(['req-other']);
      return id;
    };
    const outcome = await startOrJoin(request('req-1'), opts(client));
    expect(outcome).toMatchObject({ kind: 'joined', runId: 'run-a' });
    expect(client.raised).toHaveLength(1);
  });

  it('keeps every previous run completed within the redelivery window, beyond the ten newest', async () => {
    const recent = Array.from({ length: 14 }, (_, i) => ({
      ...previousRun([`recent-${i}`], new Date(NOW.getTime() - (i + 1) * 60_000).toISOString()),
      runId: `r${i}`,
      runNumber: 20 - i,
    }));
    const old = Array.from({ length: 5 }, (_, i) => ({
      ...previousRun([`old-${i}`], '2025-12-01T00:00:00.000Z'),
      runId: `o${i}`,
      runNumber: 5 - i,
    }));
    const client = new FakeClient();
    client.status = completedStatus(['req-1'], [...recent, ...old]);
    (client.status.output as RunOutput).completedAt = new Date(NOW.getTime() - 1000).toISOString();
    (client.status.output as RunOutput).runNumber = 21;
    await startOrJoin(request('req-9'), opts(client));
    const kept = client.started[0]!.input.previousRuns.map((r) => r.runId);
    expect(kept).toEqual(['run-a', ...recent.map((r) => r.runId)]);
    // and a redelivery of a request of the oldest recent run is still recognized
    client.status = { ...runningStatus(['req-9']), input: client.started[0]!.input };
    expect(await startOrJoin(request('recent-13'), opts(client))).toMatchObject({ kind: 'duplicate' });
  });
});
