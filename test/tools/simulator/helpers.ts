/** Real HTTP against a running simulator (global fetch), and polling without wall-clock assertions. */
import type { RunningSimulator } from '../../../tools/simulator';

export const TOKEN = 'local-dev-token';
export const VERSION = 'api-version=2017-10-31';

export interface CallOptions {
  method?: string;
  token?: string | null;
  body?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body; tests read its documented fields directly. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** Calls `path` (absolute URL or a path on the simulator) with the bearer token unless `token: null`. */
export async function call(sim: RunningSimulator, path: string, options: CallOptions = {}): Promise<CallResult> {
  const url = /^https?:/.test(path) ? path : `${sim.url}${path}`;
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method: options.method ?? 'GET',
    headers,
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** GETs `url` and returns its parsed JSON body. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readJson(sim: RunningSimulator, url: string): Promise<any> {
  return (await call(sim, url)).json;
}

export const offerPath = (publisherId: string, offerId: string, rest = '') =>
  `/api/publishers/${publisherId}/offers/${offerId}${rest}`;

/** Starts a go-live and returns the operation URL (absolute) from Location or Operation-Location. */
export async function goLive(sim: RunningSimulator, publisherId: string, offerId: string): Promise<string> {
  const res = await call(sim, `${offerPath(publisherId, offerId, '/golive')}?${VERSION}`, { method: 'POST' });
  if (res.status !== 202) throw new Error(`go-live answered ${res.status}: ${res.text}`);
  const location = res.headers.get('location') ?? res.headers.get('operation-location');
  if (!location) throw new Error('no operation URL header');
  const url = new URL(location, sim.url);
  if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', '2017-10-31');
  return url.toString();
}

/** Polls `read` until `done` holds (or the limit passes); returns every value seen. */
export async function pollUntil<T>(read: () => Promise<T>, done: (v: T) => boolean, limitMs = 10_000): Promise<T[]> {
  const seen: T[] = [];
  const giveUp = Date.now() + limitMs;
  for (;;) {
    const v = await read();
    seen.push(v);
    if (done(v)) return seen;
    if (Date.now() > giveUp) throw new Error(`condition not met; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

export const isTerminalStatus = (s: string) => ['complete', 'completed', 'failed', 'canceled'].includes(s);
