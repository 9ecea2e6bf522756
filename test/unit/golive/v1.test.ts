/**
 * The retired orchestrator (`goLiveOrchestrator`, frozen in src/golive/v1) still runs the go-lives it started: its
 * input keeps the bookkeeping inside the record, and it continues as new and finishes as it always did.
 */
import type { RunOutput } from '../../../src/golive/run/record';
import { goLiveOrchestrationV1 } from '../../../src/golive/v1/orchestration';
import { runOrchestration } from './support/replayHarness';

const START = new Date('2026-01-01T00:00:00.000Z');

it('a run of the retired orchestrator continues as new with its own input shape and ends as the partner says', async () => {
  let reads = 0;
  const input = {
    runId: 'v1-run',
    runNumber: 1,
    target: { api: 'cpp', publisherId: 'contoso', offerId: 'app' },
    requests: [{ requestId: 'req-1', receivedAt: START.toISOString() }],
    previousRuns: [],
    startedAt: START.toISOString(),
    deadlineAt: new Date(START.getTime() + 3_600_000).toISOString(),
    state: 'polling',
    operationId: 'op-1',
    operationUrl: 'https://p/op-1',
    steps: [],
    pollCount: 2,
    readErrors: 0,
    warnings: [],
    generation: 1,
    checks: [],
    settings: {
      pollIntervalSeconds: 60,
      pollMaxIntervalSeconds: 600,
      deadlineMinutes: 60,
      pollsPerHistory: 2,
      maxSubmitAttempts: 4,
    },
  };
  const result = await runOrchestration(goLiveOrchestrationV1, input, {
    start: START,
    activities: {
      readOperation: () => ({
        kind: 'status',
        operationId: 'op-1',
        rawStatus: ++reads < 3 ? 'running' : 'complete',
        state: reads < 3 ? 'running' : 'succeeded',
        terminal: reads >= 3,
        steps: [],
      }),
      publishCompletion: () => ({}),
    },
  });
  expect(result.error).toBeUndefined();
  expect(result.activityCalls.filter((c) => c.name === 'submitGoLive')).toHaveLength(0);
  expect(result.continueAsNewInputs[0]).toMatchObject({ generation: 2, readErrors: 0, pollCount: 4 });
  const output = result.output as RunOutput;
  expect(output).toMatchObject({ outcome: 'succeeded', pollCount: 5, operationStatus: 'complete' });
  expect(output).not.toHaveProperty('generation');
  expect(output).not.toHaveProperty('readErrors');
  expect(output).not.toHaveProperty('settings');
});
