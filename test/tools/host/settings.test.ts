import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { startHost } from '../../../tools/host/host';
import { loadHostJson, parseTimeSpan } from '../../../tools/host/hostJson';
import { realProcessEnv } from '../../../tools/host/nodeModule';
import {
  azuriteConnectionString,
  readLocalSettings,
  resolveSettingRefs,
  resolveStorageConnection,
} from '../../../tools/host/settings';

const fixture = path.resolve(__dirname, '../../fixtures/host-app');
const repoNodeModules = path.resolve(__dirname, '../../../node_modules');
const noTriggers = { 'AzureWebJobs.work.Disabled': 'true', 'AzureWebJobs.tick.Disabled': 'true' };

/** A copy of the fixture app in a temp folder (node_modules linked), with `files` written over it. */
const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempApp(files: Record<string, string | undefined>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'host-app-'));
  tempDirs.push(dir);
  cpSync(fixture, dir, { recursive: true });
  symlinkSync(repoNodeModules, path.join(dir, 'node_modules'), 'dir');
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    if (text === undefined) rmSync(file, { force: true });
    else writeFileSync(file, text);
  }
  return dir;
}

async function greeting(baseUrl: string): Promise<unknown> {
  const res = await fetch(`${baseUrl}/api/hello`);
  return ((await res.json()) as { greeting: unknown }).greeting;
}

describe('settings', () => {
  it('resolves UseDevelopmentStorage=true to Azurite endpoints and rejects identity-style connections', () => {
    const ports = { blob: 1, queue: 2, table: 3 };
    expect(resolveStorageConnection(undefined, { AzureWebJobsStorage: 'UseDevelopmentStorage=true' }, ports)).toBe(
      azuriteConnectionString(ports),
    );
    expect(resolveStorageConnection('Other', { AzureWebJobsOther: 'X=1' })).toBe('X=1');
    expect(() => resolveStorageConnection(undefined, { AzureWebJobsStorage__accountName: 'acct' })).toThrow(
      expect.objectContaining({
        code: 'IDENTITY_STORAGE_UNSUPPORTED',
        message: expect.stringContaining('UseDevelopmentStorage=true'),
      }),
    );
  });

  it('resolves %Setting% references and names the missing one', () => {
    expect(resolveSettingRefs('%A%-%B%', { A: 'x', B: 'y' }, 'w')).toBe('x-y');
    expect(() => resolveSettingRefs('%NOPE%', {}, 'Function "f" queueName')).toThrow(/NOPE/);
  });

  it('reads host.json with the host defaults and TimeSpans', () => {
    const view = loadHostJson(path.join(os.tmpdir(), 'no-such-app'));
    expect(view.queues).toMatchObject({
      batchSize: 16,
      maxDequeueCount: 5,
      messageEncoding: 'base64',
      visibilityTimeoutMs: 0,
      maxPollingIntervalMs: 60_000,
    });
    expect(view.routePrefix).toBe('api');
    expect(parseTimeSpan('1.02:03:04.5', 'x')).toBe(((26 * 60 + 3) * 60 + 4) * 1000 + 500);
    expect(() => loadHostJson(fixture, { extensions: { queues: { batchSize: 64 } } })).toThrow(/batchSize/);
  });

  it('falls back to local.settings.sample.json when local.settings.json is absent', () => {
    const dir = tempApp({
      'local.settings.json': undefined,
      'local.settings.sample.json': JSON.stringify({
        Values: { FIXTURE_GREETING: 'from the sample' },
        Host: { LocalHttpPort: 7999 },
      }),
    });
    const s = readLocalSettings(dir);
    expect(path.basename(s.source!)).toBe('local.settings.sample.json');
    expect(s.values.FIXTURE_GREETING).toBe('from the sample');
    expect(s.localHttpPort).toBe(7999);
  });
});

describe('local host: settings as the app sees them', () => {
  it('puts local.settings.json Values into process.env without overriding set variables, and restores env on stop', async () => {
    const env = realProcessEnv();
    expect(env.FIXTURE_GREETING).toBeUndefined();
    let host = await startHost({
      appDir: fixture,
      port: 0,
      extensions: [],
      env: { AzureWebJobsStorage: '', ...noTriggers },
      logSink: () => undefined,
    });
    try {
      expect(await greeting(host.baseUrl)).toBe('hello from local.settings.json');
    } finally {
      await host.stop();
    }
    expect(env.FIXTURE_GREETING).toBeUndefined();
    host = await startHost({
      appDir: fixture,
      port: 0,
      extensions: [],
      env: { AzureWebJobsStorage: '', FIXTURE_GREETING: 'already set', ...noTriggers },
      logSink: () => undefined,
    });
    try {
      expect(await greeting(host.baseUrl)).toBe('already set');
    } finally {
      await host.stop();
    }
  });

  it('uses the sample settings when local.settings.json is absent', async () => {
    const dir = tempApp({
      'local.settings.json': undefined,
      'local.settings.sample.json': JSON.stringify({
        Values: { FIXTURE_GREETING: 'from the sample', AzureWebJobsStorage: '' },
      }),
    });
    const host = await startHost({ appDir: dir, port: 0, extensions: [], env: noTriggers, logSink: () => undefined });
    try {
      expect(await greeting(host.baseUrl)).toBe('from the sample');
    } finally {
      await host.stop();
    }
  });

  it('refuses identity-based AzureWebJobsStorage__* settings with a clear message', async () => {
    await expect(
      startHost({
        appDir: fixture,
        port: 0,
        extensions: [],
        env: { AzureWebJobsStorage: '', AzureWebJobsStorage__accountName: 'mystorage', ...noTriggers },
        logSink: () => undefined,
      }),
    ).rejects.toMatchObject({
      code: 'IDENTITY_STORAGE_UNSUPPORTED',
      message: expect.stringContaining('AzureWebJobsStorage__accountName'),
    });
  });

  it('gives the app the full Azurite connection string for UseDevelopmentStorage=true', async () => {
    const ports = { blob: 20000, queue: 20001, table: 20002 };
    const host = await startHost({
      appDir: fixture,
      port: 0,
      extensions: [],
      env: noTriggers,
      azurite: ports,
      logSink: () => undefined,
    });
    try {
      expect(host.storageConnectionString).toBe(azuriteConnectionString(ports));
      expect(realProcessEnv().AzureWebJobsStorage).toBe(azuriteConnectionString(ports));
    } finally {
      await host.stop();
    }
  });

  it('names the port and how to move it when the HTTP port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await expect(
        startHost({
          appDir: fixture,
          port,
          extensions: [],
          env: { AzureWebJobsStorage: '', ...noTriggers },
          logSink: () => undefined,
        }),
      ).rejects.toMatchObject({
        code: 'PORT_IN_USE',
        message: expect.stringMatching(new RegExp(`Port ${port} is already in use.*--port`, 's')),
      });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
