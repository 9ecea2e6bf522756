/**
 * Durable Functions patterns on the local host, against Azurite: the fixture app (unmodified durable-functions)
 * runs in an in-process host; every result is read back through the durable HTTP API or the JS client.
 */
import path from 'node:path';

import { startHost, type FunctionsHost } from '../../../../tools/host/host';
import type { DurableExtension } from '../../../../tools/host/durable';
import { createDurableExtension } from '../../../../tools/host/durable';
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
  host = await startHost({ appDir: APP, port: 0, azurite: azurite.ports, env: { AzureWebJobsStorage: azurite.connectionString }, extensions: [durable], logLevel: 'warning', logSink: () => undefined });
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
