/**
 * The run's activities with the real partner API client against the simulator, driven through the real
 * durable-functions replay engine (virtual durable timers, see test/unit/golive/support/replayHarness.ts):
 * the Go Live answer lost after the partner accepted it, throttling with Retry-After, a 409 while an operation runs.
 */
import { loadConfig } from '../../src/config';
import { GoLiveTelemetry, MemoryTelemetrySink } from '../../src/events/telemetry';
import {
  type ActivityDeps,
  cancelOperation,
  findRunningOperation,
  publishCompletion,
  readOperation,
  submitGoLive,
} from '../../src/golive/activities';
import { goLiveOrchestration } from '../../src/golive/orchestration';
import type { RunInput, RunOutput } from '../../src/golive/run/record';
import { CloudPartnerPortalClient, createPartnerApi, StaticTokenCredential } from '../../src/partner';
import type { PartnerApi } from '../../src/partner/types';
import { startSimulator } from '../../tools/simulator';
import type { RunningSimulator } from '../../tools/simulator/types';
import { runOrchestration } from '../unit/golive/support/replayHarness';

let sim: RunningSimulator;
let client: PartnerApi & { close?: () => Promise<void> };

beforeAll(async () => {
  sim = await startSimulator({ defaults: { durationMs: 400 } });
  const config = loadConfig({
    PARTNER_API_BASE_URL: sim.url,
    PARTNER_API_TOKEN: 'local-dev-token',
    PARTNER_API_MAX_RETRIES: '1',
  });
  client = createPartnerApi('cpp', config, { retryBaseMs: 10, retryMaxMs: 50 });
});

afterAll(async () => {
  await client?.close?.();
  await sim?.close();
});

const START = new Date('2026-01-01T00:00:00.000Z');

function input(offerId: string): RunInput {
  return {
    runId: `run-${offerId}`,
    runNumber: 1,
    target: { api: 'cpp', publisherId: 'faults', offerId },
    requests: [{ requestId: `req-${offerId}`, receivedAt: START.toISOString() }],
    startedAt: START.toISOString(),
    deadlineAt: new Date(START.getTime() + 600 * 60_000).toISOString(),
    settings: {
      pollIntervalSeconds: 60,
      pollMaxIntervalSeconds: 600,
      deadlineMinutes: 600,
      pollsPerHistory: 100,
      maxSubmitAttempts: 5,
    },
    previousRuns: [],
  };
}

/** Real activities over `api`; reads pause so the simulator's real-time operation can progress between virtual polls. */
function realActivities(api: PartnerApi) {
  const deps: ActivityDeps = { partnerApi: () => api, telemetry: new GoLiveTelemetry(new MemoryTelemetrySink()) };
  return {
    submitGoLive: (i: unknown) => submitGoLive(i as never, deps),
    findRunningOperation: (i: unknown) => findRunningOperation(i as never, deps),
    readOperation: async (i: unknown) => {
      await new Promise((r) => setTimeout(r, 100));
      return readOperation(i as never, deps);
    },
    cancelOperation: (i: unknown) => cancelOperation(i as never, deps),
    publishCompletion: (i: unknown) => publishCompletion(i as never, deps),
  };
}

const goLivePosts = (offerId: string) =>
  sim.admin.requests({ method: 'POST', publisherId: 'faults', offerId }).filter((r) => r.path.endsWith('/golive'));

describe('go-live run against the simulator with faults', () => {
  it('attaches to the accepted operation when the Go Live answer is lost: one Go Live call, run succeeds', async () => {
    sim.admin.addOffer('faults', 'lost-answer');
    // Lose the answer of the Go Live POST only: arm the fault once the last read before it (the attach lookup's
    // submission list, after the offer status) has been answered.
    const config = loadConfig({
      PARTNER_API_BASE_URL: sim.url,
      PARTNER_API_TOKEN: 'local-dev-token',
      PARTNER_API_MAX_RETRIES: '1',
    });
    const lossy = createPartnerApi('cpp', config, {
      retryBaseMs: 10,
      retryMaxMs: 50,
      onResponse: (info) => {
        if (info.path.endsWith('/offers/lost-answer/submissions/') && goLivePosts('lost-answer').length === 0) {
          sim.admin.setScenario('faults', 'lost-answer', { resetConnections: { count: 1, phase: 'after' } });
        }
      },
    }) as PartnerApi & { close(): Promise<void> };
    const api: PartnerApi = lossy;
    const result = await runOrchestration(goLiveOrchestration, input('lost-answer'), {
      start: START,
      activities: realActivities(api),
    });
    expect(result.error).toBeUndefined();
    const output = result.output as RunOutput;
    expect(output.outcome).toBe('succeeded');
    expect(goLivePosts('lost-answer')).toHaveLength(1);
    expect(goLivePosts('lost-answer')[0]!.connectionReset).toBe('after');
    expect(result.activityCalls.map((c) => c.name).slice(0, 2)).toEqual(['submitGoLive', 'findRunningOperation']);
    expect(result.activityCalls.filter((c) => c.name === 'submitGoLive')).toHaveLength(1);
    expect(output.warnings.join(' ')).toMatch(/outcome unknown/);
    await lossy.close();
  });

  it('waits at least Retry-After when the partner API throttles the reads', async () => {
    sim.admin.addOffer('faults', 'throttled', { durationMs: 300 });
    const acts = realActivities(client);
    let armed = false;
    const result = await runOrchestration(goLiveOrchestration, input('throttled'), {
      start: START,
      activities: {
        ...acts,
        submitGoLive: async (i: unknown) => {
          const r = await acts.submitGoLive(i);
          if (!armed) {
            armed = true;
            // every read attempt (the client's own retry included) answers 429 Retry-After 120 twice over
            sim.admin.setScenario('faults', 'throttled', { throttle: { count: 4, retryAfterSeconds: 120 } });
          }
          return r;
        },
      },
    });
    const output = result.output as RunOutput;
    expect(output.outcome).toBe('succeeded');
    const reads = result.activityCalls
      .filter((c) => c.name === 'readOperation')
      .map((c) => (c.at.getTime() - START.getTime()) / 1000);
    // first read after the interval; the throttled answers push the next reads out by at least 120 s each
    expect(reads[0]).toBe(60);
    expect(reads[1]! - reads[0]!).toBeGreaterThanOrEqual(120);
    expect(reads[2]! - reads[1]!).toBeGreaterThanOrEqual(120);
    expect(output.warnings.join(' ')).toMatch(/transient error reading the operation: Throttled/);
  });

  it('attaches instead of posting again when the offer status shows a go-live already running', async () => {
    sim.admin.addOffer('faults', 'busy-status', { neverEnds: true });
    const target = { api: 'cpp' as const, publisherId: 'faults', offerId: 'busy-status' };
    const first = await client.startGoLive(target);
    // hide the running operation from the lookup before the submit, so the status read is what stops the POST
    let lookups = 0;
    const api: PartnerApi = {
      kind: 'cpp',
      startGoLive: (t, o) => client.startGoLive(t, o),
      getOperation: (t, u, o) => client.getOperation(t, u, o),
      cancel: (t, u, o) => client.cancel(t, u, o),
      findGoLives: async (t, q, o) => (lookups++ === 0 ? [] : client.findGoLives(t, q, o)),
    };
    const deps: ActivityDeps = { partnerApi: () => api, telemetry: new GoLiveTelemetry(new MemoryTelemetrySink()) };
    const result = await submitGoLive({ runId: 'r', target, attempt: 1 }, deps);
    expect(result).toMatchObject({ kind: 'attached', operationId: first.operationId });
    expect(goLivePosts('busy-status')).toHaveLength(1);
  });

  it('attaches instead of failing when Go Live answers 409 because an operation already runs', async () => {
    sim.admin.addOffer('faults', 'busy', { neverEnds: true });
    const target = { api: 'cpp' as const, publisherId: 'faults', offerId: 'busy' };
    const first = await client.startGoLive(target);
    // a client that skips the offer status read, and the running operation hidden from the pre-check, so the
    // Go Live POST is sent and refused
    const postOnly = new CloudPartnerPortalClient({
      baseUrl: sim.url,
      apiVersion: '2017-10-31',
      scope: `${sim.url}/.default`,
      credential: new StaticTokenCredential('local-dev-token'),
      timeoutMs: 5_000,
      maxRetries: 1,
      checkOfferStatus: false,
    });
    const api: PartnerApi = {
      kind: 'cpp',
      startGoLive: (t, o) => postOnly.startGoLive(t, o),
      getOperation: (t, u, o) => postOnly.getOperation(t, u, o),
      cancel: (t, u, o) => postOnly.cancel(t, u, o),
      findGoLives: async (t, q, o) => (goLivePosts('busy').length < 2 ? [] : postOnly.findGoLives(t, q, o)),
    };
    const deps: ActivityDeps = { partnerApi: () => api, telemetry: new GoLiveTelemetry(new MemoryTelemetrySink()) };
    try {
      const result = await submitGoLive({ runId: 'r', target, attempt: 1 }, deps);
      expect(result).toMatchObject({ kind: 'attached', operationId: first.operationId });
      expect(goLivePosts('busy')).toHaveLength(2);
      expect(goLivePosts('busy')[1]!.status).toBe(409);
    } finally {
      await postOnly.close();
    }
  });
});
