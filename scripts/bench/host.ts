/**
 * Local Functions host benchmark (`npm run bench -- host`): queue-trigger throughput with a near no-op function at
 * batchSize 16 and 32, enqueue-to-invocation latency (p50/p95) when idle and when busy, host start-up time and idle
 * memory. Runs the test fixture app (test/fixtures/host-app) against an in-memory Azurite on free ports.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { QueueServiceClient } from '@azure/storage-queue';

import { startAzurite } from '../../tools/host/azurite';
import { startHost } from '../../tools/host/host';
import { encodeMessage } from '../../tools/host/queues/encoding';

export const description = 'local host: queue throughput, enqueue→invocation latency, start-up time, idle RSS';

const repo = path.resolve(__dirname, '../../..');
const appDir = path.join(repo, 'test/fixtures/host-app');
const cli = path.join(repo, 'dist/tools/host/cli.js');

interface Recorded {
  kind: string;
  time: string;
  message?: { tag?: string; sentAt?: number };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function sendMany(conn: string, queue: string, count: number, body: (i: number) => object): Promise<void> {
  const q = QueueServiceClient.fromConnectionString(conn).getQueueClient(queue);
  await q.createIfNotExists();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        const i = next++;
        await q.sendMessage(encodeMessage(JSON.stringify(body(i)), 'base64'));
      }
    }),
  );
}

async function calls(baseUrl: string): Promise<Recorded[]> {
  return ((await (await fetch(`${baseUrl}/api/_calls`)).json()) as Recorded[]).filter((c) => c.kind === 'queue');
}

const quiet = { 'AzureWebJobs.tick.Disabled': 'true' };

export async function run(print: (line: string) => void): Promise<void> {
  const azurite = await startAzurite({ inMemory: true });
  try {
    // Throughput: the queue is filled first, then the host drains it.
    for (const batchSize of [16, 32]) {
      const queue = `bench-tp-${batchSize}`;
      const count = 2000;
      await sendMany(azurite.connectionString, queue, count, (i) => ({ tag: `m${i}` }));
      let done = 0;
      let finished: () => void = () => undefined;
      const allDone = new Promise<void>((r) => (finished = r));
      const t0 = Date.now();
      // Completions counted from the host's own "Executed" lines (cheap), everything else quiet.
      const host = await startHost({
        appDir,
        port: 0,
        extensions: [],
        env: { AzureWebJobsStorage: azurite.connectionString, FIXTURE_WORK_QUEUE: queue, ...quiet },
        hostJson: {
          logging: {
            logLevel: { default: 'Warning', 'Function.work': 'Information', 'Function.work.User': 'Warning' },
          },
          extensions: { queues: { batchSize, newBatchThreshold: batchSize / 2 } },
        },
        logSink: (_line, entry) => {
          if (entry.message.startsWith("Executed 'Functions.work' (Succeeded") && ++done >= count) finished();
        },
      });
      await allDone;
      const seconds = (Date.now() - t0) / 1000;
      await host.stop();
      print(
        `throughput batchSize=${batchSize} newBatchThreshold=${batchSize / 2}: ${count} messages in ${seconds.toFixed(2)} s = ${(count / seconds).toFixed(0)} msg/s`,
      );
    }

    // Latency: the project's host.json polling (maxPollingInterval 2 s), idle gaps so the back-off grows.
    {
      const queue = 'bench-latency';
      const host = await startHost({
        appDir,
        port: 0,
        extensions: [],
        env: { AzureWebJobsStorage: azurite.connectionString, FIXTURE_WORK_QUEUE: queue, ...quiet },
        hostJson: {
          logging: { logLevel: { default: 'Warning' } },
          extensions: { queues: { maxPollingInterval: '00:00:02' } },
        },
        logLevel: 'debug',
        logSink: (line, entry) => {
          // Slow storage calls and warnings explain latency outliers.
          const slow = /in (\d+) ms\.$/.exec(entry.message);
          if (entry.level === 'warning' || entry.level === 'error' || (slow && Number(slow[1]) > 1000))
            print(`  ${line}`);
        },
      });
      const q = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(queue);
      await q.createIfNotExists();
      const idleSamples = 15;
      for (let i = 0; i < idleSamples; i++) {
        await sleep(1000 + Math.random() * 2500);
        await q.sendMessage(encodeMessage(JSON.stringify({ tag: `idle${i}`, sentAt: Date.now() }), 'base64'));
      }
      await sleep(3000);
      // Busy: a steady stream of ~100 msg/s for 8 s, every message timed.
      const stopAt = Date.now() + 8000;
      let i = 0;
      while (Date.now() < stopAt) {
        await Promise.all(
          Array.from({ length: 10 }, () =>
            q.sendMessage(encodeMessage(JSON.stringify({ tag: `busy${i++}`, sentAt: Date.now() }), 'base64')),
          ),
        );
        await sleep(100);
      }
      await sleep(3000);
      const recorded = await calls(host.baseUrl);
      await host.stop();
      const lat = (prefix: string): number[] =>
        recorded
          .filter((c) => c.message?.tag?.startsWith(prefix) && c.message.sentAt)
          .map((c) => Date.parse(c.time) - c.message!.sentAt!)
          .sort((a, b) => a - b);
      for (const [label, prefix] of [
        ['idle', 'idle'],
        ['busy (~100 msg/s)', 'busy'],
      ] as const) {
        const l = lat(prefix);
        const over5s = l.filter((ms) => ms > 5000).length;
        print(
          `latency ${label}: n=${l.length} p50=${percentile(l, 50)} ms p95=${percentile(l, 95)} ms max=${l[l.length - 1]} ms` +
            (over5s ? ` (${over5s} over 5 s: see slow storage calls above)` : ''),
        );
        if (prefix === 'idle') print(`  idle samples (ms): ${l.join(', ')}`);
      }
    }

    // Start-up: in-process (app load → listening) and as `npm start` runs it (child process to ready line), idle RSS.
    {
      const times: number[] = [];
      for (let k = 0; k < 3; k++) {
        const t0 = Date.now();
        const host = await startHost({
          appDir,
          port: 0,
          extensions: [],
          env: { AzureWebJobsStorage: azurite.connectionString, ...quiet },
          logSink: () => undefined,
        });
        times.push(Date.now() - t0);
        await host.stop();
      }
      print(`start-up in-process (fixture app): ${times.join(', ')} ms`);
      const t0 = Date.now();
      const child = spawn(
        process.execPath,
        [cli, 'start', '--app', appDir, '--port', '0', '--no-azurite', '--no-simulator'],
        {
          env: { ...process.env, AzureWebJobsStorage: azurite.connectionString, ...quiet },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('Local host ready at')) resolve();
        });
        child.once('exit', () => reject(new Error(`host exited:\n${out}`)));
      });
      const ready = Date.now() - t0;
      await sleep(3000);
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const rss = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      print(
        `start-up child process (node cli.js start → ready line): ${ready} ms; idle RSS after 3 s: ${rss ? (Number(rss) / 1024).toFixed(1) : '?'} MB`,
      );
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  } finally {
    await azurite.close();
  }
}
