/**
 * A deploy of a changed orchestrator never breaks a go-live in flight (docs/deploy.md). The app as it was before the
 * process rewrite (commit `PREVIOUS_BUILD`, built here from git) runs in the local host with its Durable backend on
 * Azurite: one go-live waits on its polling timer, one is mid-cancel (the partner API takes seconds to cancel). The
 * host stops; this build starts on the same storage. Every run ends as the partner API says, with one Go Live each,
 * on the orchestrator that started it; a new go-live starts on the new one.
 */
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { CloudEvent } from '../../src/events/cloudEvent';
import type { CompletionData } from '../../src/golive/completionEvent';
import { ORCHESTRATOR_NAME, RETIRED_ORCHESTRATOR_NAMES } from '../../src/golive/contracts';
import { runInstanceId } from '../../src/golive/run/identity';
import type { RunView } from '../../src/golive/run/view';
import { createDurableExtension } from '../../tools/host/durable';
import { type FunctionsHost, startHost } from '../../tools/host/host';
import { startSimulator } from '../../tools/simulator';
import type { RunningSimulator } from '../../tools/simulator/types';
import { enqueue, peekAll, type RunningAzurite, startAzurite } from '../support/azurite';
import { RESTART_HOST_JSON } from '../support/hostProcess';
import { waitFor } from '../support/wait';

jest.setTimeout(600_000);

/** The last commit before the orchestrator was rewritten as the process (its runs use `goLiveOrchestrator`). */
const PREVIOUS_BUILD = '2d2e98f';
const APP_DIR = path.resolve(__dirname, '../..');
const HUB = 'goliveupgrade';
const TOKEN = 'local-dev-token';
let previousDir: string;
let azurite: RunningAzurite;
let sim: RunningSimulator;
let host: FunctionsHost | undefined;

async function start(appDir: string): Promise<FunctionsHost> {
  return startHost({
    appDir,
    port: 0,
    extensions: [createDurableExtension({ hubName: HUB })],
    env: {
      AzureWebJobsStorage: azurite.connectionString,
      PARTNER_API_BASE_URL: sim.url,
      PARTNER_API_TOKEN: TOKEN,
      GOLIVE_POLL_INTERVAL_SECONDS: '2',
      GOLIVE_POLL_MAX_INTERVAL_SECONDS: '4',
      GOLIVE_POLLS_PER_HISTORY: '3',
      GOLIVE_SCHEDULED_OFFERS: '',
      APPLICATIONINSIGHTS_CONNECTION_STRING: '',
    },
    hostJson: RESTART_HOST_JSON,
    logLevel: 'warning',
    logSink: () => undefined,
  });
}

async function view(offerId: string): Promise<RunView | undefined> {
  const res = await fetch(`${host!.baseUrl}/api/golive/upgrade/${offerId}`);
  return res.status === 200 ? ((await res.json()) as RunView) : undefined;
}

async function completion(offerId: string): Promise<CloudEvent<CompletionData>> {
  return waitFor(
    async () =>
      (await peekAll(azurite.connectionString, 'golive-events'))
        .map((t) => JSON.parse(t) as CloudEvent<CompletionData>)
        .find((e) => e.source === `/publishers/upgrade/offers/${offerId}` && e.type !== 'golive.rejected'),
    { timeoutMs: 120_000, intervalMs: 250, what: `the completion event of upgrade/${offerId}` },
  );
}

/** What the partner API says of the operation now (read directly from the simulator, as the app reads it). */
async function partnerStatus(offerId: string): Promise<string> {
  const read = sim.admin
    .requests({ method: 'GET', publisherId: 'upgrade', offerId, pathIncludes: '/operations/' })
    .at(-1);
  if (!read) throw new Error(`no operation read for ${offerId}`);
  const query = new URLSearchParams(read.query).toString();
  const res = await fetch(`${sim.url}${read.path}?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return ((await res.json()) as { status: string }).status;
}

const goLivePosts = (offerId: string) =>
  sim.admin
    .requests({ method: 'POST', publisherId: 'upgrade', offerId })
    .filter((r) => r.path.endsWith('/golive') && r.status === 202);

beforeAll(async () => {
  if (!existsSync(path.join(APP_DIR, 'dist/src/index.js'))) throw new Error('Build the app first: npm run build.');
  // The previous build: its sources from git, this checkout's node_modules, `npm run build` (tsc) there.
  previousDir = mkdtempSync(path.join(tmpdir(), 'golive-previous-'));
  execSync(`git -C "${APP_DIR}" archive --format=tar ${PREVIOUS_BUILD} | tar -x -C "${previousDir}"`, {
    stdio: 'pipe',
  });
  symlinkSync(path.join(APP_DIR, 'node_modules'), path.join(previousDir, 'node_modules'), 'dir');
  execFileSync(process.execPath, [path.join(APP_DIR, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: previousDir,
    stdio: 'pipe',
  });
  azurite = await startAzurite({ inMemory: true });
  sim = await startSimulator({});
  sim.admin.addOffer('upgrade', 'timer', { durationMs: 25_000 });
  sim.admin.addOffer('upgrade', 'cancel', { durationMs: 600_000, cancelDelayMs: 8_000 });
  sim.admin.addOffer('upgrade', 'after', { durationMs: 3_000 });
});

afterAll(async () => {
  await host?.stop();
  await sim?.close();
  await azurite?.close();
  if (previousDir) rmSync(previousDir, { recursive: true, force: true });
});

describe('an upgrade with go-lives in flight', () => {
  it('every run the previous build started ends as the partner API says, one Go Live each, on its orchestrator', async () => {
    host = await start(previousDir);
    for (const offerId of ['timer', 'cancel']) {
      await enqueue(azurite.connectionString, 'golive-requests', {
        publisherId: 'upgrade',
        offerId,
        requestId: `${offerId}-1`,
      });
    }
    await waitFor(async () => (await view('cancel'))?.state === 'polling', { timeoutMs: 60_000, what: 'polling' });
    const canceled = await fetch(`${host.baseUrl}/api/golive/upgrade/cancel/cancel`, {
      method: 'POST',
      body: JSON.stringify({ requestedBy: 'ops' }),
    });
    expect(canceled.status).toBe(202);
    // One waits on its polling timer, the other reads the canceling operation until the partner API confirms.
    await waitFor(
      async () => {
        const [timer, cancel] = [await view('timer'), await view('cancel')];
        return timer?.state === 'polling' && (timer.pollCount ?? 0) >= 1 && cancel?.state === 'canceling';
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'one run polling, one canceling' },
    );
    expect(sim.admin.requests({ offerId: 'cancel' }).filter((r) => r.path.endsWith('/cancel'))).toHaveLength(1);
    await host.stop();
    host = undefined;

    host = await start(APP_DIR);
    const timer = await completion('timer');
    expect(timer.type).toBe('golive.succeeded');
    expect(timer.data.operationStatus).toBe(await partnerStatus('timer'));
    expect(timer.data.requestIds).toEqual(['timer-1']);

    const cancel = await completion('cancel');
    expect(cancel.type).toBe('golive.canceled');
    expect(cancel.data.error).toBeNull();
    expect(cancel.data.operationStatus).toBe(await partnerStatus('cancel'));
    expect(cancel.data.operationStatus).toBe('canceled');

    expect(goLivePosts('timer')).toHaveLength(1);
    expect(goLivePosts('cancel')).toHaveLength(1);
    // The runs finished on the orchestrator that started them; their views read the same on the new build.
    for (const offerId of ['timer', 'cancel']) {
      const status = await fetch(`${host.baseUrl}/api/golive/upgrade/${offerId}`);
      expect(status.status).toBe(200);
    }
    expect(await orchestratorOf('timer')).toBe(RETIRED_ORCHESTRATOR_NAMES.v1);
    expect(await orchestratorOf('cancel')).toBe(RETIRED_ORCHESTRATOR_NAMES.v1);

    // A go-live started after the deploy runs on the new orchestrator.
    await enqueue(azurite.connectionString, 'golive-requests', {
      publisherId: 'upgrade',
      offerId: 'after',
      requestId: 'after-1',
    });
    const after = await completion('after');
    expect(after.type).toBe('golive.succeeded');
    expect(await orchestratorOf('after')).toBe(ORCHESTRATOR_NAME);
  });
});

/** The orchestrator name of the offer's instance (the Durable management API). */
async function orchestratorOf(offerId: string): Promise<string | undefined> {
  const id = encodeURIComponent(runInstanceId({ publisherId: 'upgrade', offerId }));
  const res = await fetch(`${host!.baseUrl}/runtime/webhooks/durabletask/instances/${id}`);
  return res.ok ? ((await res.json()) as { name?: string }).name : undefined;
}
