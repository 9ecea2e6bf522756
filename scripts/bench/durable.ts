/**
 * Durable Functions on the local host: orchestration throughput (5-activity chain, 100-activity fan-out),
 * history events written per second, durable timer firing delay, and host memory with 1,000 orchestrations
 * waiting on timers. Runs the fixture app in an in-process host against an in-memory Azurite.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

import { startAzurite } from '../../tools/host/azurite';
import { createDurableExtension } from '../../tools/host/durable';
import { startHost } from '../../tools/host/host';

export const description =
  'Durable orchestrations/s (chain, fan-out), history events/s, timer delay, RSS with 1,000 waiting';

function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'test/fixtures/durable-app/package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('durable fixture app not found');
    dir = up;
  }
  return dir;
}

async function post(url: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? '' : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

async function statusOf(base: string, id: string): Promise<string> {
  const res = await fetch(`${base}/runtime/webhooks/durabletask/instances/${id}?showInput=false`);
  const body = (await res.json()) as { runtimeStatus?: string };
  return body.runtimeStatus ?? '';
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) {
        const item = items[i++];
        if (item !== undefined) await fn(item);
      }
    }),
  );
}

async function startMany(base: string, name: string, count: number, input: unknown): Promise<string[]> {
  const ids: string[] = [];
  await pool(
    Array.from({ length: count }, (_, i) => i),
    16,
    async () => {
      const r = await post(`${base}/runtime/webhooks/durabletask/orchestrators/${name}`, input);
      if (r.status !== 202) throw new Error(`start ${name} answered ${r.status}`);
      ids.push((r.body as { id: string }).id);
    },
  );
  return ids;
}

async function waitAll(base: string, ids: string[], statuses: string[], timeoutMs = 600_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const pending = new Set(ids);
  while (pending.size > 0) {
    if (Date.now() > until) throw new Error(`${pending.size} instances did not reach ${statuses.join('/')}`);
    await pool([...pending], 16, async (id) => {
      const s = await statusOf(base, id);
      if (statuses.includes(s)) pending.delete(id);
      else if (s === 'Failed') throw new Error(`instance ${id} failed`);
    });
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 200));
  }
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

export async function run(print: (line: string) => void): Promise<void> {
  const azurite = await startAzurite();
  const durable = createDurableExtension({ hubName: `bench${Date.now().toString(36)}` });
  const host = await startHost({
    appDir: path.join(projectRoot(), 'test/fixtures/durable-app'),
    port: 0,
    azurite: azurite.ports,
    env: { AzureWebJobsStorage: azurite.connectionString },
    extensions: [durable],
    hostJson: { extensions: { durableTask: { storageProvider: { maxQueuePollingInterval: '00:00:01' } } } },
    logLevel: 'warning',
    logSink: () => undefined,
  });
  const base = host.baseUrl;
  try {
    const engine = durable.engine;
    if (!engine) throw new Error('durable engine not started');

    // 5-activity chains.
    let events0 = engine.stats.historyEventsWritten;
    let t0 = Date.now();
    const chains = await startMany(base, 'Chain5', 100, 1);
    await waitAll(base, chains, ['Completed']);
    let secs = (Date.now() - t0) / 1000;
    print(`5-activity chain: 100 orchestrations in ${secs.toFixed(1)} s = ${(100 / secs).toFixed(1)} orchestrations/s`);
    print(`  history events written: ${((engine.stats.historyEventsWritten - events0) / secs).toFixed(0)} events/s`);

    // 100-activity fan-outs.
    events0 = engine.stats.historyEventsWritten;
    t0 = Date.now();
    const fans = await startMany(base, 'FanOut', 10, 100);
    await waitAll(base, fans, ['Completed']);
    secs = (Date.now() - t0) / 1000;
    print(
      `100-activity fan-out: 10 orchestrations in ${secs.toFixed(1)} s = ${(10 / secs).toFixed(2)} orchestrations/s ` +
        `(${((10 * 100) / secs).toFixed(0)} activities/s)`,
    );
    print(`  history events written: ${((engine.stats.historyEventsWritten - events0) / secs).toFixed(0)} events/s`);

    // Timer firing delay (fire time → TimerFired appended).
    engine.stats.timerDelaysMs.length = 0;
    const timed = await startMany(base, 'Approval', 100, { timeoutMs: 2000 });
    await waitAll(base, timed, ['Completed']);
    const d = engine.stats.timerDelaysMs;
    print(
      `durable timer delay over ${d.length} timers: p50 ${pct(d, 50)} ms, p95 ${pct(d, 95)} ms, max ${Math.max(...d)} ms`,
    );

    // Memory with 1,000 orchestrations waiting on timers.
    const rssBefore = process.memoryUsage().rss;
    const waiting = await startMany(base, 'Approval', 1000, { timeoutMs: 3_600_000 });
    await waitAll(base, waiting, ['Running']);
    global.gc?.();
    const rss = process.memoryUsage().rss;
    print(
      `1,000 orchestrations waiting on timers: host RSS ${(rss / 1048576).toFixed(0)} MiB ` +
        `(${rss >= rssBefore ? '+' : ''}${((rss - rssBefore) / 1048576).toFixed(0)} MiB vs. before starting them; ` +
        'Azurite runs in its own process and is not counted)',
    );
  } finally {
    await host.stop();
    await azurite.close();
  }
}
