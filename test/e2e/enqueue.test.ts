import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AZURITE_CONNECTION, EnqueueError, enqueueRequest, parseArgs, resolveConnection } from '../../scripts/enqueue';
import { UsageError } from '../../tools/cliArgs';
import { peekAll, type RunningAzurite, startAzurite } from '../support/azurite';
import { freePort } from '../support/ports';

describe('npm run enqueue: arguments and connection', () => {
  it('parses the offer and options', () => {
    expect(parseArgs(['contoso/app', '--requested-by', 'alice', '--request-id=r-1'])).toEqual({
      publisherId: 'contoso',
      offerId: 'app',
      requestedBy: 'alice',
      requestId: 'r-1',
    });
    for (const bad of [
      [],
      ['contoso'],
      ['a/b/c'],
      ['a/b', '--nope'],
      ['a/b', '--requested-by'],
      ['a/b', 'c/d'],
      ['a/b', '--api', 'pi'],
      ['Contoso!/b'],
    ]) {
      expect(() => parseArgs(bad)).toThrow(UsageError);
    }
  });

  it('reads AzureWebJobsStorage from the environment, else local.settings.json, else the sample', () => {
    const dir = mkdtempSync(join(tmpdir(), 'enqueue-'));
    expect(() => resolveConnection({}, dir)).toThrow(/No storage connection/);
    writeFileSync(
      join(dir, 'local.settings.sample.json'),
      JSON.stringify({ Values: { AzureWebJobsStorage: 'UseDevelopmentStorage=true' } }),
    );
    expect(resolveConnection({}, dir)).toMatchObject({ kind: 'connectionString', value: AZURITE_CONNECTION });
    writeFileSync(
      join(dir, 'local.settings.json'),
      JSON.stringify({ Values: { AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net' } }),
    );
    expect(resolveConnection({}, dir)).toEqual({
      kind: 'identity',
      queueServiceUri: 'https://acct.queue.core.windows.net',
      source: 'AzureWebJobsStorage__queueServiceUri',
    });
    expect(
      resolveConnection({ AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=eA==' }, dir),
    ).toMatchObject({ kind: 'connectionString', source: 'AzureWebJobsStorage (environment)' });
  });

  it('refuses an invalid request before touching storage', async () => {
    await expect(
      enqueueRequest({ publisherId: 'Contoso', offerId: 'app' }, { env: {}, dir: tmpdir() }),
    ).rejects.toMatchObject({ code: 'InvalidRequest' });
  });
});

describe('npm run enqueue: against Azurite', () => {
  let azurite: RunningAzurite;
  beforeAll(async () => {
    azurite = await startAzurite({ inMemory: true });
  });
  afterAll(async () => {
    await azurite?.close();
  });

  it('creates the queue and puts the request base64-encoded, as the trigger expects', async () => {
    const env = { AzureWebJobsStorage: azurite.connectionString, GOLIVE_REQUESTS_QUEUE: 'enqueue-test' };
    const result = await enqueueRequest(
      { publisherId: 'contoso', offerId: 'app', requestedBy: 'cli test', requestId: 'r-7' },
      { env, dir: tmpdir() },
    );
    expect(result.messageId).toMatch(/\S+/);
    expect(result.queueName).toBe('enqueue-test');
    const raw = await peekAll(azurite.connectionString, 'enqueue-test', 'raw');
    expect(raw).toHaveLength(1);
    expect(JSON.parse(Buffer.from(raw[0]!, 'base64').toString('utf8'))).toEqual({
      publisherId: 'contoso',
      offerId: 'app',
      requestId: 'r-7',
      requestedBy: 'cli test',
    });
  });

  it('fails fast with a clear message when the storage is unreachable, without printing the key', async () => {
    const port = await freePort();
    const conn = AZURITE_CONNECTION.replace(':10001/', `:${port}/`);
    const error = (await enqueueRequest(
      { publisherId: 'contoso', offerId: 'app' },
      { env: { AzureWebJobsStorage: conn }, dir: tmpdir() },
    ).catch((e: unknown) => e)) as EnqueueError;
    expect(error).toBeInstanceOf(EnqueueError);
    expect(error.code).toBe('StorageUnreachable');
    expect(error.message).toContain(`http://127.0.0.1:${port}`);
    expect(error.message).not.toMatch(/AccountKey|Eby8/);
  });
});
