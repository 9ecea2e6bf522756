/**
 * Partner API client throughput: `getOperation` against the simulator on loopback (real HTTP, one keep-alive pool),
 * at concurrency 1 and 16, a few seconds each. Prints calls/s and latency percentiles; asserts nothing.
 */
import { CloudPartnerPortalClient } from '../../src/partner/cloudPartnerPortalClient';
import { StaticTokenCredential } from '../../src/partner/credential';
import type { GoLiveTarget } from '../../src/partner/types';
import { startSimulator } from '../../tools/simulator';

export const description = 'partner API client: getOperation calls/s on loopback (concurrency 1 and 16)';

const SECONDS_EACH = Number(process.env['BENCH_CLIENT_SECONDS'] ?? 3);
const TOKEN = 'bench-token';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function run(print: (line: string) => void): Promise<void> {
  const sim = await startSimulator({ port: 0, token: TOKEN, defaults: { neverEnds: true } });
  let requests = 0;
  const client = new CloudPartnerPortalClient({
    baseUrl: sim.url,
    apiVersion: '2017-10-31',
    scope: `${sim.url}/.default`,
    credential: new StaticTokenCredential(TOKEN),
    timeoutMs: 10_000,
    maxRetries: 0,
    onResponse: () => {
      requests++;
    },
  });
  try {
    const target: GoLiveTarget = { api: 'cpp', publisherId: 'contoso', offerId: 'contoso-vm-offer' };
    const { operationUrl } = await client.startGoLive(target);
    // Warm up the pool and the JIT.
    for (let i = 0; i < 200; i++) await client.getOperation(target, operationUrl);

    for (const concurrency of [1, 16]) {
      requests = 0;
      const latencies: number[] = [];
      let errors = 0;
      const started = performance.now();
      const until = started + SECONDS_EACH * 1000;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < until) {
            const t0 = performance.now();
            try {
              await client.getOperation(target, operationUrl);
              latencies.push(performance.now() - t0);
            } catch {
              errors++;
            }
          }
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      print(
        `concurrency ${String(concurrency).padStart(2)}: ${(latencies.length / elapsed).toFixed(0)} calls/s ` +
          `(${latencies.length} calls in ${elapsed.toFixed(1)} s, ${requests} requests, ${errors} errors), ` +
          `latency p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`,
      );
      sim.admin.resetRequests();
    }
  } finally {
    await client.close();
    await sim.close();
  }
}
