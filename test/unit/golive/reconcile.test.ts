import { buildCompletionEvent } from '../../../src/golive/completionEvent';
import { RECONCILE_ORCHESTRATOR_NAME } from '../../../src/golive/contracts';
import {
  type ReconcileClient,
  reconcileOrchestration,
  reconcileRuns,
  unpublishedRun,
} from '../../../src/golive/reconcile';
import type { InstanceStatus } from '../../../src/golive/run/record';
import type { RunInput, RunOutput } from '../../../src/golive/run/record';
import { runOrchestration } from './support/replayHarness';

const NOW = new Date('2026-01-02T00:00:00.000Z');
const ID = 'golive:contoso:app';

function input(): RunInput {
  return {
    runId: 'run-t',
    runNumber: 3,
    target: { api: 'cpp', publisherId: 'contoso', offerId: 'app' },
    requests: [
      { requestId: 'req-1', requestedBy: 'pipeline', receivedAt: '2026-01-01T00:00:00.000Z' },
      { requestId: 'req-2', receivedAt: '2026-01-01T00:00:05.000Z' },
    ],
    startedAt: '2026-01-01T00:00:00.000Z',
    deadlineAt: '2026-01-08T00:00:00.000Z',
    settings: {
      pollIntervalSeconds: 300,
      pollMaxIntervalSeconds: 3600,
      deadlineMinutes: 10080,
      pollsPerHistory: 100,
      maxSubmitAttempts: 4,
    },
    previousRuns: [],
    state: 'polling',
    operationId: 'op-7',
    operationUrl: 'https://p/op-7',
    operationStatus: 'running',
    steps: [],
    pollCount: 12,
    warnings: [],
    driver: { readErrors: 0, generation: 0 },
  };
}

function terminated(extra: Partial<InstanceStatus> = {}): InstanceStatus {
  return {
    name: 'goLiveOrchestrator',
    instanceId: ID,
    runtimeStatus: 'Terminated',
    input: input(),
    output: 'stuck offer, ops ticket 42',
    // the custom status holds a request the input of this generation does not (joined in it)
    customStatus: { runId: 'run-t', requestIds: ['req-1', 'req-2', 'req-3'], requestCount: 3 },
    lastUpdatedTime: '2026-01-01T01:00:00.000Z',
    ...extra,
  };
}

describe('unpublishedRun', () => {
  it('owes a terminated run golive.failed RunTerminated with the reason, every request and its stable event id', () => {
    const owed = unpublishedRun(terminated(), NOW)!;
    expect(owed).toMatchObject({
      runId: 'run-t',
      runNumber: 3,
      outcome: 'failed',
      eventId: 'golive-run-t',
      operationId: 'op-7',
      operationStatus: 'running',
      requestIds: ['req-1', 'req-2', 'req-3'],
      completedAt: '2026-01-01T01:00:00.000Z',
      durationSeconds: 3600,
      error: { code: 'RunTerminated', message: expect.stringContaining('stuck offer, ops ticket 42') },
    });
    expect(owed.requests[0]).toEqual(input().requests[0]);
    const event = buildCompletionEvent(owed);
    expect(event).toMatchObject({
      type: 'golive.failed',
      id: 'golive-run-t',
      subject: 'publishers/contoso/offers/app',
    });
    expect(event.data.requestIds).toEqual(['req-1', 'req-2', 'req-3']);
  });

  it('owes a run that failed before publishing golive.failed RunFailed', () => {
    const owed = unpublishedRun(
      terminated({ runtimeStatus: 'Failed', output: 'Orchestrator function failed: boom' }),
      NOW,
    );
    expect(owed?.error).toMatchObject({ code: 'RunFailed', message: expect.stringContaining('boom') });
  });

  it('owes nothing for a run with its output (published), an active run, another instance or a reconcile instance', () => {
    const output = { ...unpublishedRun(terminated(), NOW)! };
    expect(unpublishedRun(terminated({ runtimeStatus: 'Completed', output }), NOW)).toBeUndefined();
    expect(unpublishedRun(terminated({ runtimeStatus: 'Running', output: undefined }), NOW)).toBeUndefined();
    expect(unpublishedRun(terminated({ instanceId: 'other:1' }), NOW)).toBeUndefined();
    expect(unpublishedRun(terminated({ name: RECONCILE_ORCHESTRATOR_NAME }), NOW)).toBeUndefined();
    expect(unpublishedRun(terminated({ input: undefined }), NOW)).toBeUndefined();
  });
});

describe('reconcileRuns', () => {
  it('starts one reconcile orchestration per unpublished run, on the run instance, and none once it is published', async () => {
    const instances = new Map<string, InstanceStatus>([
      [ID, terminated()],
      [
        'golive:contoso:done',
        {
          ...terminated({ instanceId: 'golive:contoso:done' }),
          runtimeStatus: 'Completed',
          output: { eventId: 'golive-x' },
        },
      ],
    ]);
    const starts: { name: string; instanceId: string }[] = [];
    const client: ReconcileClient = {
      listEnded: async (statuses) => [...instances.values()].filter((s) => statuses.includes(s.runtimeStatus)),
      startNew: async (name, { instanceId, input: reconcileInput }) => {
        starts.push({ name, instanceId });
        instances.set(instanceId, { name, instanceId, runtimeStatus: 'Completed', output: reconcileInput.output });
        return instanceId;
      },
    };
    const first = await reconcileRuns(client, NOW);
    expect(first.started).toEqual([{ instanceId: ID, runId: 'run-t', eventId: 'golive-run-t' }]);
    expect(starts).toEqual([{ name: RECONCILE_ORCHESTRATOR_NAME, instanceId: ID }]);
    const second = await reconcileRuns(client, NOW);
    expect(second.started).toEqual([]);
    expect(starts).toHaveLength(1);
  });

  it('reports a start that lost to another start, and goes on', async () => {
    const client: ReconcileClient = {
      listEnded: async () => [terminated(), terminated({ instanceId: 'golive:contoso:b' })],
      startNew: async (_name, { instanceId }) => {
        if (instanceId === ID) throw new Error('409 already exists');
        return instanceId;
      },
    };
    const result = await reconcileRuns(client, NOW);
    expect(result.failed).toEqual([{ instanceId: ID, message: '409 already exists' }]);
    expect(result.started.map((s) => s.instanceId)).toEqual(['golive:contoso:b']);
  });
});

describe('reconcileOrchestration', () => {
  it('publishes the owed event (retrying a failed publish) and ends with the run output', async () => {
    const owed = unpublishedRun(terminated(), NOW)!;
    let attempts = 0;
    const result = await runOrchestration(
      reconcileOrchestration,
      { output: owed },
      {
        start: NOW,
        activities: {
          publishCompletion: (i) => {
            attempts++;
            if (attempts === 1) throw new Error('storage unavailable');
            return { eventId: (i as { output: RunOutput }).output.eventId };
          },
        },
      },
    );
    expect(result.error).toBeUndefined();
    expect(attempts).toBe(2);
    expect(result.output).toEqual(owed);
  });

  it('sends the same event to the Event Grid topic when the run has one, with the trace context of the queue copy', async () => {
    const owed = unpublishedRun(terminated(), NOW)!;
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const sent: { id: string; traceparent?: string }[][] = [];
    const result = await runOrchestration(
      reconcileOrchestration,
      { output: owed, events: { eventGrid: true, eventGridRetryHours: 24, progress: false } },
      {
        start: NOW,
        activities: {
          publishCompletion: (i) => ({ eventId: (i as { output: RunOutput }).output.eventId, trace: { traceparent } }),
          publishEventGrid: (i) => {
            sent.push((i as { events: { id: string; traceparent?: string }[] }).events);
            return { kind: 'published', count: 1 };
          },
        },
      },
    );
    expect(result.error).toBeUndefined();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.map((e) => [e.id, e.traceparent])).toEqual([[owed.eventId, traceparent]]);
    expect(result.output).toEqual(owed);
  });

  it('sends nothing to a topic when the run has none (a reconcile started by an earlier build included)', async () => {
    const owed = unpublishedRun(terminated(), NOW)!;
    let topicCalls = 0;
    const result = await runOrchestration(
      reconcileOrchestration,
      { output: owed },
      {
        start: NOW,
        activities: {
          publishCompletion: (i) => ({ eventId: (i as { output: RunOutput }).output.eventId }),
          publishEventGrid: () => {
            topicCalls++;
            return { kind: 'published', count: 1 };
          },
        },
      },
    );
    expect(result.error).toBeUndefined();
    expect(topicCalls).toBe(0);
  });
});
