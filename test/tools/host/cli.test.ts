import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { invalidSettings, parseArgs } from '../../../tools/host/cli';
import { enqueue, runHostCli, type RunningAzurite, startAzurite, startHostProcess, waitFor } from '../../support';

const appDir = path.resolve(__dirname, '../../fixtures/host-app');

describe('host CLI arguments', () => {
  it('parses the start options', () => {
    expect(parseArgs(['start', '--port', '0', '--no-azurite', '--no-simulator', '--app', 'x'], '/r')).toEqual({
      command: 'start',
      port: 0,
      appDir: '/r/x',
      azurite: false,
      simulator: false,
      verbose: false,
      fresh: false,
      stateDir: '/r/x/.local',
      eventGrid: false,
    });
    expect(parseArgs(['start', '--eventgrid'], '/r').eventGrid).toBe(true);
    expect(() => parseArgs(['start', '--port', 'abc'])).toThrow(/--port/);
    expect(() => parseArgs(['start', '--bogus'])).toThrow(/Unknown option/);
  });

  it('parses --fresh, --state and --azurite-ports', () => {
    expect(parseArgs(['start', '--fresh', '--state', 'st', '--azurite-ports', '1,2,3'], '/r')).toMatchObject({
      fresh: true,
      stateDir: '/r/st',
      azuritePorts: { blob: 1, queue: 2, table: 3 },
    });
    expect(() => parseArgs(['start', '--azurite-ports', '1,2'])).toThrow(/three port numbers/);
  });

  it('names the bad setting, not the module that failed to load', () => {
    const cause = Object.assign(
      new Error('Invalid configuration (1 setting):\n  - GOLIVE_POLL_INTERVAL_SECONDS: bad'),
      {
        code: 'InvalidConfiguration',
      },
    );
    const err = new Error('Worker was unable to load entry point "dist/src/index.js"', { cause });
    expect(invalidSettings(err)).toMatch(
      /^Invalid configuration \(1 setting\):\n {2}- GOLIVE_POLL_INTERVAL_SECONDS: bad\n/,
    );
    expect(invalidSettings(err)).not.toMatch(/entry point/);
    expect(invalidSettings(new Error('other'))).toBeUndefined();
  });
});

// Needs `npm run build` (npm test builds first); startHostProcess says so when dist/ is missing.
describe('host CLI in a child process (npm start)', () => {
  let azurite: RunningAzurite;
  let tmp: string;

  beforeAll(async () => {
    azurite = await startAzurite({ inMemory: true });
    tmp = mkdtempSync(path.join(os.tmpdir(), 'host-cli-'));
  });
  afterAll(async () => {
    await azurite?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('serves HTTP and queue functions, then stops cleanly on SIGTERM (appTerminate ran, exit 0)', async () => {
    const marker = path.join(tmp, 'terminated');
    const work = `cli-work-${Date.now() % 100000}`;
    const host = await startHostProcess({
      appDir,
      env: {
        AzureWebJobsStorage: azurite.connectionString,
        FIXTURE_WORK_QUEUE: work,
        FIXTURE_TERMINATE_MARKER: marker,
      },
    });
    try {
      expect(host.logs()).toContain('work: queueTrigger');
      const res = await fetch(`${host.baseUrl}/api/hello/cli`);
      expect(await res.json()).toMatchObject({ name: 'cli' });
      await enqueue(azurite.connectionString, work, { tag: 'from-cli-test' });
      await waitFor(async () => {
        const calls = (await (await fetch(`${host.baseUrl}/api/_calls`)).json()) as { kind: string }[];
        return calls.some((c) => c.kind === 'queue') || undefined;
      });
      expect(host.logs()).toMatch(/Executed 'Functions\.work' \(Succeeded, Id=[0-9a-f-]{36}/);
    } finally {
      const code = await host.stop();
      expect(code).toBe(0);
    }
    expect(readFileSync(marker, 'utf8')).toBe('terminated');
    expect(host.logs()).toContain('Stopped.');
  });

  it('fails with one clear error naming a port in use and how to move it', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const { code, output } = await runHostCli(
        ['start', '--app', appDir, '--port', String(port), '--no-azurite', '--no-simulator'],
        {
          AzureWebJobsStorage: azurite.connectionString,
        },
      );
      expect(code).toBe(1);
      expect(output).toContain(`Error: Port ${port} is already in use.`);
      expect(output).toContain('--port');
      expect(output).toContain('LocalHttpPort');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
