/**
 * `npm start` keeps local state: the BUILT app under the host CLI (`node dist/tools/host/cli.js start`, as
 * `npm start` runs it) with Azurite and the simulator keeping their state in a state folder. A go-live in flight
 * survives Ctrl-C (SIGINT) and a second start, and finishes succeeded on the same partner operation; `--fresh`
 * starts clean. Free ports throughout (`--port`, `--azurite-ports`, the simulator on PARTNER_API_BASE_URL's port).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startHostProcess } from '../support/hostProcess';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';
import { APP_DIR } from './support/goLiveStack';

jest.setTimeout(150_000);

let stateDir: string;

beforeAll(() => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'golive-state-'));
});

afterAll(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

interface RunJson {
  state: string;
  runId: string;
  operationId: string | null;
  pollCount: number;
}

describe('npm start keeps local state', () => {
  it('resumes a go-live in flight after Ctrl-C and npm start; --fresh starts clean', async () => {
    const [blob, queue, table, sim] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const start = (...extra: string[]) =>
      startHostProcess({
        appDir: APP_DIR,
        azurite: true,
        simulator: true,
        args: ['--state', stateDir, '--azurite-ports', `${blob},${queue},${table}`, ...extra],
        env: {
          AzureWebJobsStorage: 'UseDevelopmentStorage=true',
          PARTNER_API_BASE_URL: `http://127.0.0.1:${sim}`,
          PARTNER_API_TOKEN: 'local-dev-token',
          GOLIVE_POLL_INTERVAL_SECONDS: '1',
          GOLIVE_POLL_MAX_INTERVAL_SECONDS: '2',
          GOLIVE_SCHEDULED_OFFERS: '',
          APPLICATIONINSIGHTS_CONNECTION_STRING: '',
        },
        readyTimeoutMs: 60_000,
      });
    const read = async (base: string): Promise<RunJson | undefined> => {
      const res = await fetch(`${base}/api/golive/contoso/contoso-vm-offer`);
      return res.status === 200 ? ((await res.json()) as RunJson) : undefined;
    };

    const first = await start();
    expect(first.logs()).toMatch(/State: +new, on disk in /);
    const posted = await fetch(`${first.baseUrl}/api/golive/contoso/contoso-vm-offer`, { method: 'POST' });
    expect(posted.status).toBe(202);
    const before = await waitFor(
      async () => {
        const run = await read(first.baseUrl);
        return run?.state === 'polling' && run.pollCount >= 2 ? run : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the run to poll' },
    );
    first.kill('SIGINT'); // Ctrl-C
    expect(await first.exited).toBe(0);

    const second = await start();
    try {
      expect(second.logs()).toMatch(/State: +kept from the last start in /);
      const resumed = await read(second.baseUrl);
      expect(resumed).toMatchObject({ runId: before.runId, operationId: before.operationId });
      expect(resumed?.state).toMatch(/polling|succeeded/);
      const done = await waitFor(
        async () => {
          const run = await read(second.baseUrl);
          return run && run.state !== 'polling' ? run : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500, what: 'the resumed run to end' },
      );
      // Same run, same partner operation: the simulator kept it, so no second Go Live was needed.
      expect(done).toMatchObject({ state: 'succeeded', runId: before.runId, operationId: before.operationId });
      expect(done.pollCount).toBeGreaterThan(before.pollCount);
    } finally {
      second.kill('SIGINT');
      await second.exited;
    }

    const fresh = await start('--fresh');
    try {
      expect(fresh.logs()).toMatch(/State: +fresh: cleared /);
      expect(await read(fresh.baseUrl)).toBeUndefined();
    } finally {
      fresh.kill('SIGINT');
      await fresh.exited;
    }
  });
});
