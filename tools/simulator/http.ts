/**
 * Small HTTP helpers for the simulator: handlers return a `SimResponse` value and the server decides how (or
 * whether, under a connection-reset scenario) to send it. A tiny path router matches `:param` segments.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON-serialised when present; no body otherwise. */
  body?: unknown;
}

export interface SimRequest {
  method: string;
  /** Decoded path segments, without empty ones (a trailing slash is ignored). */
  segments: string[];
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Raw body text ('' when none). */
  body: string;
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): SimResponse => ({
  status,
  body,
  headers,
});

export const errorBody = (code: string, message: string, details?: unknown[]) => ({
  error: { code, message, ...(details ? { details } : {}) },
});

export const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  json(status, errorBody(code, message), headers);

/** ISO 8601 time of an epoch-milliseconds value. */
export const iso = (ms: number) => new Date(ms).toISOString();

/** The 401 both APIs answer without the token; `code` is in the API's own casing. */
export const unauthorized = (code: string) =>
  error(401, code, 'Authentication failed: the bearer token is missing or not valid.', {
    'WWW-Authenticate': 'Bearer',
  });

/** Thrown by `readBody` past the size limit. */
export class BodyTooLargeError extends Error {
  readonly code = 'BodyTooLarge';
  override readonly name = 'BodyTooLargeError';
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`Request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON object body; '' is `{}`. Returns undefined when the body is not a JSON object. */
export function parseObjectBody(body: string): Record<string, unknown> | undefined {
  if (body.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  const match = value === undefined ? null : /^Bearer\s+(.+)$/i.exec(value.trim());
  return match?.[1];
}

export function splitPath(pathname: string): string[] {
  return pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

export function queryRecord(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of query) out[k] = v;
  return out;
}

export interface Route<T> {
  method: string;
  /** Segments; `:name` captures one segment. */
  pattern: string[];
  handler: T;
}

export type RouteMatch<T> =
  | { kind: 'found'; handler: T; params: Record<string, string> }
  | { kind: 'methodNotAllowed'; allowed: string[] }
  | { kind: 'notFound' };

export function route<T>(method: string, pattern: string, handler: T): Route<T> {
  return { method, pattern: pattern.split('/').filter((s) => s !== ''), handler };
}

export function matchRoute<T>(routes: Route<T>[], method: string, segments: string[]): RouteMatch<T> {
  const allowed: string[] = [];
  for (const r of routes) {
    if (r.pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = r.pattern.every((p, i) => {
      const s = segments[i] as string;
      if (p.startsWith(':')) {
        params[p.slice(1)] = s;
        return true;
      }
      return p === s;
    });
    if (!ok) continue;
    if (r.method === method) return { kind: 'found', handler: r.handler, params };
    allowed.push(r.method);
  }
  return allowed.length > 0 ? { kind: 'methodNotAllowed', allowed } : { kind: 'notFound' };
}
