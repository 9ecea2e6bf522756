import type { RunCustomStatus, RunInput, RunOutput } from '../../../../src/golive/run/record';
import { runView } from '../../../../src/golive/run/view';

const target = { api: 'cpp' as const, publisherId: 'contoso', offerId: 'contoso-app' };
const input: RunInput = {
  runId: 'run-1',
  runNumber: 1,
  target,
  requests: [{ requestId: 'req-1', receivedAt: '2026-01-01T00:00:00.000Z' }],
  startedAt: '2026-01-01T00:00:00.000Z',
  deadlineAt: '2026-01-01T01:00:00.000Z',
  settings: {
    pollIntervalSeconds: 60,
    pollMaxIntervalSeconds: 600,
    deadlineMinutes: 60,
    pollsPerHistory: 20,
    maxSubmitAttempts: 4,
  },
  previousRuns: [],
};
const check = { at: '2026-01-01T00:01:00.000Z', status: 'running', progress: 40 };

describe('runView checks and completion event', () => {
  it('shows the checks of an active run from its custom status, and no completion event yet', () => {
    const custom: RunCustomStatus = {
      runId: 'run-1',
      target,
      state: 'polling',
      steps: [],
      pollCount: 1,
      requestIds: ['req-1'],
      requestCount: 1,
      startedAt: input.startedAt,
      deadlineAt: input.deadlineAt,
      warnings: [],
      checks: [check],
      acceptedAt: '2026-01-01T00:00:03.000Z',
      phase: 'Publish to live',
    };
    const view = runView({
      instanceId: 'golive:contoso:contoso-app',
      runtimeStatus: 'Running',
      input,
      customStatus: custom,
    });
    expect(view).toMatchObject({
      active: true,
      checks: [check],
      acceptedAt: '2026-01-01T00:00:03.000Z',
      phase: 'Publish to live',
      completionEvent: null,
    });
  });

  it('shows the checks and the completion event of a finished run, as published', () => {
    const output: RunOutput = {
      runId: 'run-1',
      runNumber: 1,
      target,
      outcome: 'succeeded',
      steps: [{ name: 'Live', status: 'complete', progress: 100 }],
      pollCount: 2,
      requests: input.requests,
      requestIds: ['req-1'],
      startedAt: input.startedAt,
      completedAt: '2026-01-01T00:02:00.000Z',
      durationSeconds: 120,
      warnings: [],
      eventId: 'golive-run-1',
      previousRuns: [],
      checks: [check, { at: '2026-01-01T00:02:00.000Z', status: 'complete', progress: 100 }],
    };
    const view = runView({ instanceId: 'golive:contoso:contoso-app', runtimeStatus: 'Completed', input, output });
    expect(view?.checks).toHaveLength(2);
    expect(view?.completionEvent).toMatchObject({
      type: 'golive.succeeded',
      id: 'golive-run-1',
      source: '/publishers/contoso/offers/contoso-app',
      data: { requestIds: ['req-1'], outcome: 'succeeded' },
    });
  });
});
