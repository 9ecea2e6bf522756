/**
 * A local Event Grid topic endpoint for tests and `npm start -- --eventgrid`: HTTPS with a self-signed certificate
 * made at start (`openssl`), checking what Event Grid checks of a CloudEvents publish (path, content type, bearer
 * token, the CloudEvents required attributes, the 1 MB batch limit) and answering by scenario (200; 400 with Event
 * Grid's error body; 401; 403; 413; 429; 500; a dropped connection). It records every request and what it took.
 * Clients trust the certificate through `NODE_EXTRA_CA_CERTS=<caPath>` (read by Node at start) or a dispatcher
 * with `ca`. See README.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const EVENTS_PATH = '/api/events';
export const MAX_BATCH_BYTES = 1_048_576;
/** What a person or a test asks the endpoint (no token): what it received, the next answers. */
export const ADMIN_PATH = '/_admin';
export const DEFAULT_TOKEN = 'local-eventgrid-token';
const BATCH_TYPE = 'application/cloudevents-batch+json';
const SINGLE_TYPE = 'application/cloudevents+json';

/** What the endpoint answers to a publish that passed its checks. */
export type Answer = 'ok' | 400 | 401 | 403 | 413 | 429 | 500 | 'drop';

export interface ReceivedRequest {
  at: string;
  path: string;
  contentType: string | undefined;
  /** What was answered: a status, `drop` (connection destroyed without an answer), 0 while the answer waits. */
  answer: number | 'drop';
  /** Why a check failed, when one did. */
  reason?: string;
  /** Ids of the events in the batch (when it parsed). */
  eventIds: string[];
}

export interface ReceivedEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  data?: unknown;
  [key: string]: unknown;
}

export interface EventGridEndpointOptions {
  port?: number;
  /** The bearer token to require (default `DEFAULT_TOKEN`). */
  token?: string;
  /** Where the certificate is kept; an existing one there is used (default: a new temporary folder). */
  certDir?: string;
  /** Delay before each answer, in ms. */
  latencyMs?: number;
}

export interface RunningEventGridEndpoint {
  /** e.g. `https://localhost:41234/api/events` */
  url: string;
  port: number;
  token: string;
  /** The self-signed certificate (PEM): `NODE_EXTRA_CA_CERTS` for clients. */
  caPath: string;
  /** The next answers, in order, one per publish that passed the checks; then `setDefault`'s. */
  script(...answers: Answer[]): void;
  /** The answer once the script is used up (default `ok`). */
  setDefault(answer: Answer): void;
  setLatency(ms: number): void;
  requests(): ReceivedRequest[];
  /** Every event in a batch answered 200, in arrival order (copies included). */
  accepted(): ReceivedEvent[];
  /** How many times each id was taken (answered 200). */
  copiesById(): Map<string, number>;
  reset(): void;
  close(): Promise<void>;
}

/** Makes (or reuses) a self-signed certificate for localhost / 127.0.0.1 / ::1 in `dir`. */
export function ensureCertificate(dir: string): { certPath: string; keyPath: string } {
  mkdirSync(dir, { recursive: true });
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) return { certPath, keyPath };
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-days',
        '30',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
        '-keyout',
        keyPath,
        '-out',
        certPath,
      ],
      { stdio: 'pipe' },
    );
  } catch (e) {
    throw new Error(
      `The local Event Grid endpoint needs the openssl command to make its certificate: ${(e as Error).message}`,
      { cause: e },
    );
  }
  return { certPath, keyPath };
}

/** Event Grid's error body: `{ error: { code, message, details: [{ code, message }] } }`. */
export function errorBody(code: string, message: string, detailCode = code): string {
  return JSON.stringify({ error: { code, message, details: [{ code: detailCode, message }] } });
}

const ANSWERS: Record<Exclude<Answer, 'ok' | 'drop'>, { code: string; message: string }> = {
  400: { code: 'BadRequest', message: 'The event data has an incorrect format.' },
  401: { code: 'Unauthorized', message: 'The request authorization key is not authorized.' },
  403: { code: 'Forbidden', message: 'The principal does not have the required role to publish to this topic.' },
  413: { code: 'PayloadTooLarge', message: 'The array or an event exceeds the size limits.' },
  429: { code: 'TooManyRequests', message: 'The request was throttled.' },
  500: { code: 'InternalServerError', message: 'The service is unavailable.' },
};

const REQUIRED = ['specversion', 'id', 'source', 'type'] as const;

/** Checks one CloudEvent's required attributes; the reason when it fails. */
export function cloudEventProblem(e: unknown, index: number): string | undefined {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return `event ${index} is not a JSON object`;
  const event = e as Record<string, unknown>;
  for (const name of REQUIRED) {
    if (typeof event[name] !== 'string' || event[name] === '')
      return `event ${index}: required attribute "${name}" is missing or not a string`;
  }
  if (event.specversion !== '1.0') return `event ${index}: specversion must be "1.0"`;
  if (event.time !== undefined && (typeof event.time !== 'string' || Number.isNaN(Date.parse(event.time))))
    return `event ${index}: time must be an RFC 3339 timestamp`;
  return undefined;
}

export async function startEventGridEndpoint(
  options: EventGridEndpointOptions = {},
): Promise<RunningEventGridEndpoint> {
  const ownDir = options.certDir === undefined;
  const certDir = options.certDir ?? mkdtempSync(path.join(tmpdir(), 'eventgrid-'));
  const { certPath, keyPath } = ensureCertificate(certDir);
  const token = options.token ?? DEFAULT_TOKEN;
  let script: Answer[] = [];
  let fallback: Answer = 'ok';
  let latencyMs = options.latencyMs ?? 0;
  let requests: ReceivedRequest[] = [];
  let accepted: ReceivedEvent[] = [];
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= MAX_BATCH_BYTES + 1) chunks.push(chunk);
    }
    const url = new URL(req.url ?? '/', 'https://localhost');
    if (url.pathname.startsWith(ADMIN_PATH)) return admin(req.method ?? 'GET', url.pathname, chunks, res);
    const contentType = req.headers['content-type'];
    const record: ReceivedRequest = {
      at: new Date().toISOString(),
      path: url.pathname,
      contentType,
      answer: 0,
      eventIds: [],
    };
    requests.push(record);
    const answer = (status: number, body?: string, headers: Record<string, string> = {}): void => {
      record.answer = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(body ?? '');
    };
    const refuse = (status: 400 | 401 | 403 | 404 | 413, code: string, reason: string): void => {
      record.reason = reason;
      answer(status, errorBody(code, reason), status === 401 ? { 'www-authenticate': 'Bearer' } : {});
    };
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    if (req.method !== 'POST' || url.pathname !== EVENTS_PATH)
      return refuse(404, 'NotFound', `No topic at ${req.method} ${url.pathname}; publish with POST ${EVENTS_PATH}`);
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${token}`)
      return refuse(401, 'Unauthorized', auth ? 'The bearer token is not valid for this topic.' : 'No bearer token.');
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== BATCH_TYPE && type !== SINGLE_TYPE)
      return refuse(
        400,
        'BadRequest',
        `Content type must be ${BATCH_TYPE} (or ${SINGLE_TYPE}), not "${contentType ?? ''}"`,
      );
    if (size > MAX_BATCH_BYTES)
      return refuse(413, 'PayloadTooLarge', `The request is ${size} bytes; the limit is ${MAX_BATCH_BYTES} bytes.`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return refuse(400, 'BadRequest', 'The body is not JSON.');
    }
    const events = type === BATCH_TYPE ? parsed : [parsed];
    if (!Array.isArray(events) || events.length === 0)
      return refuse(400, 'BadRequest', 'A batch must be a non-empty JSON array of CloudEvents.');
    for (const [i, e] of events.entries()) {
      const problem = cloudEventProblem(e, i);
      if (problem) return refuse(400, 'BadRequest', problem);
    }
    record.eventIds = (events as ReceivedEvent[]).map((e) => e.id);
    if (req.socket.destroyed) {
      // The publisher went away while the answer was delayed: it never learns of an answer, so nothing is taken.
      record.answer = 'drop';
      record.reason = 'the client closed the connection before the answer';
      return;
    }
    const next = script.length > 0 ? script.shift()! : fallback;
    if (next === 'drop') {
      record.answer = 'drop';
      req.socket.destroy();
      return;
    }
    if (next === 'ok') {
      accepted.push(...(events as ReceivedEvent[]));
      return answer(200);
    }
    const { code, message } = ANSWERS[next];
    record.reason = `scripted ${next}`;
    answer(next, errorBody(code, message), next === 429 ? { 'retry-after': '1' } : {});
  };

  /** `GET /_admin/received`: requests and accepted events; `POST /_admin/script` `{ answers, default? }`. */
  const admin = (method: string, at: string, chunks: Buffer[], res: ServerResponse): void => {
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body, null, 2));
    };
    if (method === 'GET' && at === `${ADMIN_PATH}/received`) return json(200, { requests, accepted });
    if (method === 'POST' && at === `${ADMIN_PATH}/script`) {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { answers?: Answer[]; default?: Answer };
        const valid = (a: unknown): a is Answer => ['ok', 'drop', 400, 401, 403, 413, 429, 500].includes(a as Answer);
        if (!(body.answers ?? []).every(valid) || (body.default !== undefined && !valid(body.default)))
          return json(400, { error: 'answers: "ok", "drop", 400, 401, 403, 413, 429 or 500' });
        script.push(...(body.answers ?? []));
        if (body.default !== undefined) fallback = body.default;
        return json(200, { script, default: fallback });
      } catch {
        return json(400, { error: 'the body must be JSON: { "answers": [...], "default": ... }' });
      }
    }
    return json(404, { error: `GET ${ADMIN_PATH}/received or POST ${ADMIN_PATH}/script` });
  };

  const server: Server = createServer({ cert: readFileSync(certPath), key: readFileSync(keyPath) }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(errorBody('InternalServerError', String(e)));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}${EVENTS_PATH}`,
    port,
    token,
    caPath: certPath,
    script: (...answers) => void script.push(...answers),
    setDefault: (answer) => void (fallback = answer),
    setLatency: (ms) => void (latencyMs = ms),
    requests: () => [...requests],
    accepted: () => [...accepted],
    copiesById: () => {
      const copies = new Map<string, number>();
      for (const e of accepted) copies.set(e.id, (copies.get(e.id) ?? 0) + 1);
      return copies;
    },
    reset: () => {
      script = [];
      fallback = 'ok';
      requests = [];
      accepted = [];
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      if (ownDir) rmSync(certDir, { recursive: true, force: true });
    },
  };
}
