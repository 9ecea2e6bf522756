/**
 * The host starts the Durable extension before its queue listeners: a durable client function triggered by a
 * message that was already waiting runs on its first delivery, not after a failed one.
 */
import path from 'node:path';

import { QueueClient } from '@azure/storage-queue';

import { createDurableExtension } from '../../../../tools/host/durable';
import type { HostExtension } from '../../../../tools/host/extension';
import { type FunctionsHost, startHost } from '../../../../tools/host/host';
import { type Azurite, startAzurite, waitForStatus } from './support';

jest.setTimeout(60_000);

/** The extension with a slow start, as after a restart against a busy storage account. */
function slowToStart(extension: HostExtension, delayMs: number): HostExtension {
  return {
    name: extension.name,
    triggerTypes: extension.triggerTypes,
    inputTypes: extension.inputTypes,
    provideInput: (binding, fn) => extension.provideInput(binding, fn),
    start: async (ctx) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await extension.start(ctx);
    },
    stop: () => extension.stop(),
  };
}

const APP = path.resolve(__dirname, '../../../fixtures/durable-app');
let azurite: Azurite;
let host: FunctionsHost | undefined;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

test('a message waiting before start is handled by a durable client function on its first delivery', async () => {
  const queue = new QueueClient(azurite.connectionString, 'durable-start');
  await queue.createIfNotExists();
  await queue.sendMessage(Buffer.from('early').toString('base64'));
  host = await startHost({
    appDir: APP,
    port: 0,
    azurite: azurite.ports,
    env: { AzureWebJobsStorage: azurite.connectionString },
    extensions: [slowToStart(createDurableExtension({ hubName: 'starthub' }), 1_500)],
    hostJson: { extensions: { queues: { maxPollingInterval: '00:00:00.200', visibilityTimeout: '00:00:00' } } },
    logLevel: 'warning',
    logSink: () => undefined,
  });
  const st = await waitForStatus(host.baseUrl, 'queued-early', ['Completed']);
  expect(st.output).toEqual({ length: 'early#1'.length, same: true, value: 'early#1' });
});
