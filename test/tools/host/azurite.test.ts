import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { enqueue, peekAll, startAzurite } from '../../support';

describe('startAzurite', () => {
  it('restarts on the same ports keeping its data when it has a location', async () => {
    const location = mkdtempSync(path.join(os.tmpdir(), 'azurite-'));
    const azurite = await startAzurite({ location });
    try {
      await enqueue(azurite.connectionString, 'kept-across-restart', { n: 1 });
      const ports = { ...azurite.ports };
      const pid = azurite.pid;
      await azurite.restart();
      expect(azurite.ports).toEqual(ports);
      expect(azurite.pid).not.toBe(pid);
      expect(await peekAll(azurite.connectionString, 'kept-across-restart')).toEqual(['{"n":1}']);
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
