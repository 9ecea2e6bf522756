import path from 'node:path';

import { BlobServiceClient } from '@azure/storage-blob';

import { type FunctionsHost, type HostOptions, startHost } from '../../../tools/host/host';
import { HOSTS_CONTAINER, statusBlobName } from '../../../tools/host/timers/monitor';
import { firesMoreThanOncePerMinute, parseSchedule } from '../../../tools/host/timers/schedule';
import { type RunningAzurite, startAzurite } from '../../support/azurite';
import { waitFor } from '../../support/wait';

const appDir = path.resolve(__dirname, '../../fixtures/host-app');

interface TimerCall {
  kind: string;
  timer: {
    isPastDue: boolean;
    schedule: { adjustForDST: boolean };
    scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
  };
}

describe('timer schedules', () => {
  it('parses 6-field NCRONTAB with seconds, in UTC unless WEBSITE_TIME_ZONE is set', () => {
    const s = parseSchedule('0 30 6 * * *', undefined, 't');
    expect(s.nextOccurrence(new Date('2026-01-01T07:00:00Z')).toISOString()).toBe('2026-01-02T06:30:00.000Z');
    const paris = parseSchedule('0 30 6 * * *', 'Europe/Paris', 't');
    expect(paris.nextOccurrence(new Date('2026-01-01T07:00:00Z')).toISOString()).toBe('2026-01-02T05:30:00.000Z');
    expect(
      parseSchedule('*/10 * * * * *', undefined, 't').nextOccurrence(new Date('2026-01-01T00:00:01Z')).toISOString(),
    ).toBe('2026-01-01T00:00:10.000Z');
  });

  it('rejects a 5-field expression and accepts a TimeSpan', () => {
    expect(() => parseSchedule('0 5 * * *', undefined, 'Function "x" schedule')).toThrow(/6-field NCRONTAB/);
    expect(parseSchedule('00:05:00', undefined, 't').nextOccurrence(new Date(0)).getTime()).toBe(300_000);
  });

  it('turns the monitor off for schedules firing more than once a minute', () => {
    expect(firesMoreThanOncePerMinute(parseSchedule('*/5 * * * * *', undefined, 't'))).toBe(true);
    expect(firesMoreThanOncePerMinute(parseSchedule('0 * * * * *', undefined, 't'))).toBe(false);
  });
});

describe('local host: timer trigger', () => {
  let azurite: RunningAzurite;
  let host: FunctionsHost | undefined;
  let n = 0;

  beforeAll(async () => {
    azurite = await startAzurite({ inMemory: true });
  });
  afterAll(async () => {
    await azurite?.close();
  });
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  async function start(env: Record<string, string>, extra: Partial<HostOptions> = {}): Promise<string> {
    const hostId = `timer-test-${++n}`;
    host = await startHost({
      appDir,
      port: 0,
      extensions: [],
      env: { AzureWebJobsStorage: azurite.connectionString, AzureFunctionsWebHost__hostid: hostId, ...env },
      logSink: () => undefined,
      ...extra,
    });
    return hostId;
  }

  async function timerCalls(): Promise<TimerCall[]> {
    const res = await fetch(`${host!.baseUrl}/api/_calls`);
    return ((await res.json()) as TimerCall[]).filter((c) => c.kind === 'timer');
  }

  async function readStatus(hostId: string): Promise<Record<string, string>> {
    const blob = BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient(HOSTS_CONTAINER)
      .getBlobClient(statusBlobName(hostId, 'Host.Functions.tick'));
    return JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as Record<string, string>;
  }

  it('fires on its schedule (every second: monitor off, scheduleStatus null)', async () => {
    await start({ FIXTURE_TIMER_SCHEDULE: '* * * * * *' });
    const calls = await waitFor(async () => {
      const c = await timerCalls();
      return c.length >= 2 ? c : undefined;
    });
    for (const c of calls) {
      expect(c.timer.isPastDue).toBe(false);
      expect(c.timer.scheduleStatus).toBeNull();
      expect(c.timer.schedule.adjustForDST).toBe(true);
    }
  });

  it('runs once on startup with runOnStartup, records the schedule status blob', async () => {
    const hostId = await start({ FIXTURE_TIMER_SCHEDULE: '0 0 0 1 1 *', FIXTURE_TIMER_RUN_ON_STARTUP: 'true' });
    const [call] = await waitFor(async () => {
      const c = await timerCalls();
      return c.length ? c : undefined;
    });
    expect(call!.timer.isPastDue).toBe(false);
    expect(call!.timer.scheduleStatus).not.toBeNull();
    const status = await waitFor(async () => {
      const s = await readStatus(hostId);
      return s.Last !== new Date(0).toISOString() ? s : undefined;
    });
    expect(new Date(status.Next!).getUTCMonth()).toBe(0);
    expect(new Date(status.Next!).getUTCDate()).toBe(1);
    expect(await timerCalls()).toHaveLength(1);
  });

  it('runs a missed occurrence at once with isPastDue, from the persisted status', async () => {
    const hostId = `timer-pastdue-${Date.now()}`;
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      HOSTS_CONTAINER,
    );
    await container.createIfNotExists();
    const status = JSON.stringify({
      Last: '2020-01-01T00:00:00.000Z',
      Next: '2021-01-01T00:00:00.000Z',
      LastUpdated: '2020-01-01T00:00:00.000Z',
    });
    await container.getBlockBlobClient(statusBlobName(hostId, 'Host.Functions.tick')).upload(status, status.length);
    host = await startHost({
      appDir,
      port: 0,
      extensions: [],
      env: {
        AzureWebJobsStorage: azurite.connectionString,
        AzureFunctionsWebHost__hostid: hostId,
        FIXTURE_TIMER_SCHEDULE: '0 0 0 1 1 *',
      },
      logSink: () => undefined,
    });
    const [call] = await waitFor(async () => {
      const c = await timerCalls();
      return c.length ? c : undefined;
    });
    expect(call!.timer.isPastDue).toBe(true);
    expect(call!.timer.scheduleStatus?.next).toBe('2021-01-01T00:00:00.000Z');
    const after = await waitFor(async () => {
      const s = await readStatus(hostId);
      return s.Last !== '2020-01-01T00:00:00.000Z' ? s : undefined;
    });
    expect(Date.parse(after.Next!)).toBeGreaterThan(Date.now());
  });

  it('does not retry a failed run', async () => {
    await start({
      FIXTURE_TIMER_SCHEDULE: '0 0 0 1 1 *',
      FIXTURE_TIMER_RUN_ON_STARTUP: 'true',
      FIXTURE_TIMER_FAIL: 'true',
    });
    await waitFor(async () => ((await timerCalls()).length ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    expect(await timerCalls()).toHaveLength(1);
  });

  it('refuses to start with a 5-field schedule', async () => {
    await expect(start({ FIXTURE_TIMER_SCHEDULE: '0 5 * * *' })).rejects.toMatchObject({ code: 'HOST_CONFIG' });
    host = undefined;
  });
});
