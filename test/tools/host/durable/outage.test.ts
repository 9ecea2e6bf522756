/**
 * Storage outage: Azurite stops mid-orchestration and comes back on the same ports with its data. The host keeps
 * polling, failed steps are redelivered, and the orchestration completes with the right result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { createDurableExtension, type DurableExtension } from '../../../../tools/host/durable';
import { type FunctionsHost, startHost } from '../../../../tools/host/host';
import { type RunningAzurite, startAzurite } from '../../../support/azurite';
import { startOrchestration, waitFor, waitForStatus } from './support';

jest.setTimeout(150_000);

const APP = path.resolve(__dirname, '../../../fixtures/durable-app');
let dir: string;
let azurite: RunningAzurite;
let host: FunctionsHost;
let durable: DurableExtension;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'durable-outage-'));
  azurite = await startAzurite({ location: path.join(dir, 'azurite') });
  durable = createDurableExtension({ hubName: 'outagehub' });
  host = await startHost({
    appDir: APP,
    port: 0,
    azurite: azurite.ports,
    env: { AzureWebJobsStorage: azurite.connectionString },
    extensions: [durable],
    logLevel: 'critical',
    logSink: () => undefined,
  });
});

afterAll(async () => {
  await host?.stop();
  await azurite?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the orchestration completes after storage was unavailable in the middle of it', async () => {
  const id = `outage-${Date.now()}`;
  const res = await startOrchestration(host.baseUrl, 'CrashWorkflow', { id, delayMs: 300, timerMs: 1000 }, id);
  expect(res.status).toBe(202);
  const engine = durable.engine;
  if (!engine) throw new Error('engine not started');
  await waitFor('the first activity', async () => (engine.stats.activitiesRun >= 1 ? true : undefined));
  await azurite.restart();
  const st = await waitForStatus(host.baseUrl, id, ['Completed', 'Failed'], 120_000);
  expect(st.runtimeStatus).toBe('Completed');
  expect(st.output).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
});
