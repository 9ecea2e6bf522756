/** Test helpers for the Durable extension: Azurite on free ports, HTTP calls, polling. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export interface Azurite {
  ports: { blob: number; queue: number; table: number };
  connectionString: string;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../../../..');

export async function startAzurite(): Promise<Azurite> {
  const bin = path.join(ROOT, 'node_modules/azurite/dist/src/azurite.js');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      bin,
      '--inMemoryPersistence',
      '--blobPort',
      '0',
      '--queuePort',
      '0',
      '--tablePort',
      '0',
      '--skipApiVersionCheck',
      '--disableTelemetry',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const ports = await new Promise<{ blob: number; queue: number; table: number }>((resolve, reject) => {
    let out = '';
    const found: Record<string, number> = {};
    const timer = setTimeout(() => reject(new Error(`Azurite did not start: ${out}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      for (const m of out.matchAll(
        /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/[\d.]+:(\d+)/g,
      )) {
        found[(m[1] ?? '').toLowerCase()] = Number(m[2]);
      }
      if (found['blob'] && found['queue'] && found['table']) {
        clearTimeout(timer);
        resolve({ blob: found['blob'], queue: found['queue'], table: found['table'] });
      }
    });
    child.on('exit', (code) => reject(new Error(`Azurite exited (${code}): ${out}`)));
  });
  const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};` +
    `BlobEndpoint=http://127.0.0.1:${ports.blob}/devstoreaccount1;` +
    `QueueEndpoint=http://127.0.0.1:${ports.queue}/devstoreaccount1;` +
    `TableEndpoint=http://127.0.0.1:${ports.table}/devstoreaccount1;`;
  return {
    ports,
    connectionString,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export async function http(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (!('content-type' in headers)) (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    // keep text
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export interface StatusBody {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Record<string, unknown>[];
}

const TERMINAL = ['Completed', 'Failed', 'Terminated', 'Canceled'];

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until)
      throw new Error(`Timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export function statusUrl(baseUrl: string, id: string, query = ''): string {
  return `${baseUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}${query ? `?${query}` : ''}`;
}

export async function getStatus(baseUrl: string, id: string, query = ''): Promise<HttpResult & { body: StatusBody }> {
  return (await http('GET', statusUrl(baseUrl, id, query))) as HttpResult & { body: StatusBody };
}

export function waitForStatus(
  baseUrl: string,
  id: string,
  statuses = TERMINAL,
  timeoutMs = 60_000,
  query = '',
): Promise<StatusBody> {
  return waitFor(
    `instance ${id} to reach ${statuses.join('/')}`,
    async () => {
      const r = await getStatus(baseUrl, id, query);
      return r.status < 300 && statuses.includes(r.body.runtimeStatus) ? r.body : undefined;
    },
    timeoutMs,
  );
}

export async function startOrchestration(
  baseUrl: string,
  name: string,
  input?: unknown,
  id?: string,
): Promise<HttpResult> {
  const url = `${baseUrl}/runtime/webhooks/durabletask/orchestrators/${name}${id ? `/${encodeURIComponent(id)}` : ''}`;
  return http('POST', url, input === undefined ? '' : JSON.stringify(input));
}
