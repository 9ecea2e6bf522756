import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';

import { enqueue, peekAll, startAzurite } from '../../support';

// Starting the emulator takes seconds, more on a busy machine.
jest.setTimeout(120_000);

describe('startAzurite', () => {
  it('restarts on the same ports keeping queues, tables and blobs written just before when it has a location', async () => {
    const location = mkdtempSync(path.join(os.tmpdir(), 'azurite-'));
    const azurite = await startAzurite({ location });
    try {
      const pid = azurite.pid;
      // Written right before the restart (within Azurite's 5 s autosave), so only a clean stop keeps them.
      await enqueue(azurite.connectionString, 'kept-across-restart', { n: 1 });
      const table = TableClient.fromConnectionString(azurite.connectionString, 'keptAcrossRestart', {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await table.createEntity({ partitionKey: 'p', rowKey: 'r', n: 2 });
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('kept');
      await container.createIfNotExists();
      await container.getBlockBlobClient('b').upload('three', 5);
      const ports = { ...azurite.ports };
      await azurite.restart();
      expect(azurite.ports).toEqual(ports);
      expect(azurite.pid).not.toBe(pid);
      expect(await peekAll(azurite.connectionString, 'kept-across-restart')).toEqual(['{"n":1}']);
      expect((await table.getEntity<{ n: number }>('p', 'r')).n).toBe(2);
      expect((await container.getBlockBlobClient('b').downloadToBuffer()).toString()).toBe('three');
    } finally {
      await azurite.close();
      rmSync(location, { recursive: true, force: true });
    }
  });

  it('reports a port in use by number', async () => {
    const first = await startAzurite({ inMemory: true });
    try {
      await expect(
        startAzurite({ inMemory: true, ports: { blob: 0, queue: first.ports.queue, table: 0 } }),
      ).rejects.toMatchObject({
        code: 'PORT_IN_USE',
        port: first.ports.queue,
      });
    } finally {
      await first.close();
    }
  });
});
