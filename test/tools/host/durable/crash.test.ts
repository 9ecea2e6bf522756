/**
 * Crash safety: the host process is killed with SIGKILL mid-orchestration (during activities, then during a
 * durable timer) and started again. Every orchestration completes with the right result, each activity ran at
 * least once, and no activity whose result was already in history ran again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { TaskHubStore } from '../../../../tools/host/durable/store';
import { EventType, type HistoryEvent } from '../../../../tools/host/durable/types';
import { localTaskHubName } from '../../../../tools/host/settings';
import { childReady } from '../../../support/hostProcess';
import { type Azurite, startAzurite, startOrchestration, waitFor, waitForStatus } from './support';

jest.setTimeout(180_000);

const APP = path.resolve(__dirname, '../../../fixtures/durable-app');
let azurite: Azurite;
let dir: string;
let child: ChildProcess | undefined;
let store: TaskHubStore;

async function startChild(): Promise<string> {
  const proc = spawn(process.execPath, [path.join(__dirname, 'child-host.js')], {
    env: {
      ...process.env,
      CHILD_APP_DIR: APP,
      CHILD_AZURITE_PORTS: JSON.stringify(azurite.ports),
      CHILD_STORAGE: azurite.connectionString,
      DURABLE_FIXTURE_COUNTS_DIR: dir,
      WEBSITE_HOSTNAME: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  return childReady(proc);
}

function kill(): Promise<void> {
  const proc = child;
  child = undefined;
  if (!proc || proc.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

function sideEffects(id: string): Map<number, number> {
  const counts = new Map<number, number>();
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'side-effects.log'), 'utf8');
  } catch {
    return counts;
  }
  for (const line of text.split('\n')) {
    const [who, step] = line.split(':');
    if (who === id && step !== undefined) counts.set(Number(step), (counts.get(Number(step)) ?? 0) + 1);
  }
  return counts;
}

async function history(id: string): Promise<HistoryEvent[]> {
  const st = await store.getInstance(id);
  return st ? store.readHistory(id, st.executionId) : [];
}

const completedIds = (h: HistoryEvent[]): number[] =>
  h.filter((e) => e.EventType === EventType.TaskCompleted).map((e) => e.TaskScheduledId ?? -1);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'durable-crash-'));
  azurite = await startAzurite();
  // The child host runs with the default extension: the local host's own hub for the fixture's host.json hub.
  store = new TaskHubStore(azurite.connectionString, localTaskHubName('fixturehub', {}), 2);
});

afterAll(async () => {
  await kill();
  await azurite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('SIGKILL during activities and during a timer: orchestrations resume and complete, results are not recomputed', async () => {
  let base = await startChild();
  const expected = [0, 10, 20, 30, 40, 50, 60, 70];

  // 1. Kill while activities run (the second sequential activity is in flight).
  const a = 'crash-activities';
  expect((await startOrchestration(base, 'CrashWorkflow', { id: a, delayMs: 700, timerMs: 1500 }, a)).status).toBe(202);
  await waitFor('first activity result in history', async () =>
    completedIds(await history(a)).length >= 1 ? true : undefined,
  );
  await waitFor('second activity to start', async () => (sideEffects(a).has(1) ? true : undefined));
  await kill();
  const atKill = completedIds(await history(a));
  const countsAtKill = sideEffects(a);
  expect(atKill.length).toBeGreaterThanOrEqual(1);

  base = await startChild();
  const doneA = await waitForStatus(base, a, ['Completed', 'Failed'], 90_000);
  expect(doneA.runtimeStatus).toBe('Completed');
  expect(doneA.output).toEqual(expected);
  const countsA = sideEffects(a);
  for (let step = 0; step < 8; step++) expect(countsA.get(step) ?? 0).toBeGreaterThanOrEqual(1);
  // Activities whose results were in history at the kill were not run again.
  for (const taskId of atKill) {
    const step = taskId; // sequential steps 0..2 have task ids 0..2
    expect(countsA.get(step)).toBe(countsAtKill.get(step));
  }
  const hA = await history(a);
  const ids = completedIds(hA).sort((x, y) => x - y);
  expect(ids).toEqual([0, 1, 2, 4, 5, 6, 7, 8]);

  // 2. Kill while the orchestration waits on its durable timer.
  const b = 'crash-timer';
  expect((await startOrchestration(base, 'CrashWorkflow', { id: b, delayMs: 0, timerMs: 4000 }, b)).status).toBe(202);
  await waitFor('timer scheduled', async () =>
    (await history(b)).some((e) => e.EventType === EventType.TimerCreated) ? true : undefined,
  );
  await kill();
  const beforeTimer = sideEffects(b);
  expect([...beforeTimer.keys()].sort()).toEqual([0, 1, 2]);
  base = await startChild();
  const doneB = await waitForStatus(base, b, ['Completed', 'Failed'], 90_000);
  expect(doneB.output).toEqual(expected);
  const hB = await history(b);
  const created = hB.find((e) => e.EventType === EventType.TimerCreated);
  const fired = hB.find((e) => e.EventType === EventType.TimerFired);
  expect(fired).toBeDefined();
  expect(Date.parse(fired?.Timestamp ?? '')).toBeGreaterThanOrEqual(Date.parse(created?.FireAt ?? ''));
  const countsB = sideEffects(b);
  for (const step of [0, 1, 2]) expect(countsB.get(step)).toBe(1);
  for (let step = 3; step < 8; step++) expect(countsB.get(step) ?? 0).toBeGreaterThanOrEqual(1);
  expect(hB.filter((e) => e.EventType === EventType.TimerFired)).toHaveLength(1);
  await kill();
});
