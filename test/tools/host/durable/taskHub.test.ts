/**
 * The local host keeps its Durable state under a task hub of its own (`<host.json hubName>local`, or
 * LOCAL_HOST_TASK_HUB), so a real Functions host (`func start`, or the app in Azure) pointed at the same storage
 * never reads it: every table, queue and container the real host would use for host.json's hub stays untouched.
 */
import path from 'node:path';

import { TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';

import { createDurableExtension, type DurableExtension } from '../../../../tools/host/durable';
import { type FunctionsHost, startHost } from '../../../../tools/host/host';
import { LOCAL_TASK_HUB_SETTING, localTaskHubName } from '../../../../tools/host/settings';
import { type Azurite, startAzurite, startOrchestration, waitForStatus } from './support';

jest.setTimeout(90_000);

const APP = path.resolve(__dirname, '../../../fixtures/durable-app');
/** The fixture's host.json hub name: what a real host would use. */
const REAL_HUB = 'fixturehub';

let azurite: Azurite;
let host: FunctionsHost | undefined;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterEach(async () => {
  await host?.stop();
  host = undefined;
});

afterAll(async () => {
  await azurite?.stop();
});

async function names(): Promise<{ tables: string[]; queues: string[]; containers: string[] }> {
  const tables: string[] = [];
  for await (const t of TableServiceClient.fromConnectionString(azurite.connectionString, {
    allowInsecureConnection: true,
  }).listTables())
    tables.push(t.name!);
  const queues: string[] = [];
  for await (const q of QueueServiceClient.fromConnectionString(azurite.connectionString).listQueues())
    queues.push(q.name);
  const containers: string[] = [];
  for await (const c of BlobServiceClient.fromConnectionString(azurite.connectionString).listContainers())
    containers.push(c.name);
  return { tables, queues, containers };
}

/** Whether a storage name belongs to `hub` in the Durable Azure Storage layout (tables, queues, containers). */
function ofHub(hub: string) {
  const lower = hub.toLowerCase();
  return (name: string) => name === `${hub}Instances` || name === `${hub}History` || name.startsWith(`${lower}-`);
}

async function runChainOn(durable: DurableExtension, env: Record<string, string> = {}): Promise<void> {
  host = await startHost({
    appDir: APP,
    port: 0,
    azurite: azurite.ports,
    env: { AzureWebJobsStorage: azurite.connectionString, ...env },
    extensions: [durable],
    logLevel: 'warning',
    logSink: () => undefined,
  });
  const id = `hub-${Date.now()}`;
  const started = await startOrchestration(host.baseUrl, 'Chain', 'x', id);
  expect(started.status).toBe(202);
  const status = await waitForStatus(host.baseUrl, id, ['Completed']);
  expect(status.runtimeStatus).toBe('Completed');
}

test('the default hub is host.json hubName + "local"; LOCAL_HOST_TASK_HUB overrides it', () => {
  expect(localTaskHubName('golive', {})).toBe('golivelocal');
  expect(localTaskHubName('golive', { [LOCAL_TASK_HUB_SETTING]: 'mine' })).toBe('mine');
  expect(localTaskHubName('golive', { [LOCAL_TASK_HUB_SETTING]: ' ' })).toBe('golivelocal');
});

test("a run on the local host writes only under its own hub, nothing under the real host's", async () => {
  const durable = createDurableExtension();
  await runChainOn(durable);
  expect(durable.hubName).toBe(`${REAL_HUB}local`);
  const { tables, queues, containers } = await names();
  const local = ofHub(`${REAL_HUB}local`);
  // The local host's state is there...
  expect(tables.filter(local).sort()).toEqual([`${REAL_HUB}localHistory`, `${REAL_HUB}localInstances`]);
  expect(queues.filter(local)).toContain(`${REAL_HUB}local-workitems`);
  // ...and nothing a real host reading host.json's hub would open.
  const real = ofHub(REAL_HUB);
  expect([...tables, ...queues, ...containers].filter(real)).toEqual([]);
});

test('LOCAL_HOST_TASK_HUB from the settings names the hub', async () => {
  const durable = createDurableExtension();
  await runChainOn(durable, { [LOCAL_TASK_HUB_SETTING]: 'sharedbydesign' });
  expect(durable.hubName).toBe('sharedbydesign');
  const { tables } = await names();
  expect(tables).toEqual(expect.arrayContaining(['sharedbydesignInstances', 'sharedbydesignHistory']));
  expect(tables.filter(ofHub(REAL_HUB))).toEqual([]);
});
