/**
 * The simulator's two HTTP servers (node:http). The primary origin serves the Cloud Partner Portal API under
 * `/api/`, the Product Ingestion API under `/rp/product-ingestion/` and the admin API under `/_admin/`; every
 * request about an offer meets that offer's scenario (latency, resets, throttling, server errors) first. The other
 * origin answers 404 to everything and records it, so tests can prove a token never went there.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createAdmin, createAdminHttp } from './admin';
import type { ApiContext, ApiModule } from './api';
import { cppApi } from './cpp';
import { BodyTooLargeError, error, queryRecord, readBody, type SimRequest, type SimResponse, splitPath } from './http';
import { productIngestionApi } from './productIngestion';
import { SimulatorState } from './state';
import type { RecordedRequest, RunningSimulator, SimulatorOptions } from './types';

export const DEFAULT_TOKEN = 'local-dev-token';

/** The port is taken; the message says how to pick another. */
export class PortInUseError extends Error {
  readonly code = 'PortInUse';
  override readonly name = 'PortInUseError';
  constructor(readonly port: number) {
    super(`Port ${port} is already in use.`);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function send(res: ServerResponse, r: SimResponse): void {
  if (res.destroyed || res.headersSent) return;
  const payload = r.body === undefined ? '' : JSON.stringify(r.body);
  const headers: Record<string, string> = { 'x-ms-request-id': randomUUID(), ...r.headers };
  if (r.body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(r.status, headers);
  res.end(payload);
}

async function toSimRequest(req: IncomingMessage): Promise<SimRequest> {
  const url = new URL(req.url ?? '/', 'http://simulator.invalid');
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    segments: splitPath(url.pathname),
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body: await readBody(req),
  };
}

function apiFor(segments: string[]): ApiModule | undefined {
  if (segments[0] === 'api') return cppApi;
  if (segments[0] === 'rp' && segments[1] === 'product-ingestion') return productIngestionApi;
  return undefined;
}

function recordBase(req: IncomingMessage, sim: SimRequest, origin: RecordedRequest['origin'], time: number) {
  return {
    method: sim.method,
    path: sim.path,
    query: queryRecord(sim.query),
    time: new Date(time).toISOString(),
    status: 0,
    origin,
    hadAuthorization: req.headers.authorization !== undefined,
  } satisfies RecordedRequest;
}

/** `/api/publishers/{p}/offers/{o}/...` ids, for requests that reached the other origin. */
function idsFromPath(segments: string[]): { publisherId?: string; offerId?: string } {
  const p = segments.indexOf('publishers');
  const o = segments.indexOf('offers');
  return {
    ...(p >= 0 && segments[p + 1] !== undefined ? { publisherId: segments[p + 1] } : {}),
    ...(o >= 0 && segments[o + 1] !== undefined ? { offerId: segments[o + 1] } : {}),
  };
}

function faultResponse(api: 'cpp' | 'productIngestion', kind: 'throttle' | 'serverError', value: number): SimResponse {
  const cpp = api === 'cpp';
  if (kind === 'throttle') {
    return error(
      429,
      cpp ? 'TooManyRequests' : 'tooManyRequests',
      'Too many requests; retry after the Retry-After delay.',
      {
        'Retry-After': String(value),
      },
    );
  }
  const code = value === 503 ? 'ServiceUnavailable' : 'InternalServerError';
  return error(
    value,
    cpp ? code : code[0]!.toLowerCase() + code.slice(1),
    'The service could not handle the request; retry later.',
  );
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(e.code === 'EADDRINUSE' ? new PortInUseError(port) : e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function originUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/**
 * Starts the simulator: the primary origin on `options.port` (0 = a free port) and the other origin on a free port.
 * @throws PortInUseError when the primary port is taken.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const state = new SimulatorState({
    seed: options.seed ?? true,
    defaults: options.defaults ?? {},
    ...(options.variantSeed === undefined ? {} : { variantSeed: options.variantSeed }),
    now: options.now ?? Date.now,
  });
  options.onState?.(state);
  const admin = createAdmin(state);
  const adminHttp = createAdminHttp(state, admin);
  const lifetime = new AbortController();
  const ctx: ApiContext = { state, token: options.token ?? DEFAULT_TOKEN, url: '', otherOriginUrl: '' };

  const failed = (res: ServerResponse, e: unknown) => {
    if (e instanceof BodyTooLargeError) return send(res, error(413, 'PayloadTooLarge', e.message));
    process.stderr.write(`simulator: request failed: ${e instanceof Error ? e.message : String(e)}\n`);
    send(res, error(500, 'InternalServerError', 'The simulator failed to handle the request.'));
  };

  const handlePrimary = async (req: IncomingMessage, res: ServerResponse) => {
    const arrived = state.now();
    const sim = await toSimRequest(req);
    if (sim.segments[0] === '_admin') return send(res, adminHttp(sim));

    const api = apiFor(sim.segments);
    const entry: RecordedRequest = recordBase(req, sim, 'primary', arrived);
    state.record(entry);
    if (!api) {
      entry.status = 404;
      return send(res, error(404, 'NotFound', `No resource at ${sim.path}.`));
    }
    const routed = api(sim, ctx);
    entry.api = routed.api;
    if (routed.publisherId !== undefined) entry.publisherId = routed.publisherId;
    if (routed.offerId !== undefined) entry.offerId = routed.offerId;

    let resetAfter = false;
    let response: SimResponse | undefined;
    if (routed.offer) {
      const fault = state.takeFault(routed.offer);
      const latency = routed.offer.scenario.latencyMs;
      if (latency > 0) await sleep(latency, lifetime.signal);
      if (fault.kind === 'reset' && fault.phase === 'before') {
        entry.connectionReset = 'before';
        req.socket.destroy();
        return;
      }
      resetAfter = fault.kind === 'reset';
      if (fault.kind === 'throttle') response = faultResponse(routed.api, 'throttle', fault.retryAfterSeconds);
      if (fault.kind === 'serverError') response = faultResponse(routed.api, 'serverError', fault.status);
    }
    try {
      response ??= routed.respond();
    } catch (e) {
      entry.status = 500;
      throw e;
    }
    if (resetAfter) {
      entry.connectionReset = 'after';
      req.socket.destroy();
      return;
    }
    entry.status = response.status;
    send(res, response);
  };

  const handleOther = async (req: IncomingMessage, res: ServerResponse) => {
    const arrived = state.now();
    const sim = await toSimRequest(req);
    state.record({ ...recordBase(req, sim, 'other', arrived), ...idsFromPath(sim.segments), status: 404 });
    send(res, error(404, 'NotFound', 'This origin is not the partner API.'));
  };

  const serve = (handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) =>
    createServer((req, res) => {
      res.on('error', () => undefined);
      handler(req, res).catch((e: unknown) => failed(res, e));
    });
  const primary = serve(handlePrimary);
  const other = serve(handleOther);

  const otherPort = await listen(other, options.otherOriginPort ?? 0, host);
  let port: number;
  try {
    port = await listen(primary, options.port ?? 0, host);
  } catch (e) {
    await closeServer(other);
    throw e;
  }
  ctx.url = originUrl(host, port);
  ctx.otherOriginUrl = originUrl(host, otherPort);

  let closing: Promise<void> | undefined;
  return {
    url: ctx.url,
    otherOriginUrl: ctx.otherOriginUrl,
    admin,
    close() {
      closing ??= (async () => {
        lifetime.abort();
        await Promise.all([closeServer(primary), closeServer(other)]);
      })();
      return closing;
    },
  };
}
