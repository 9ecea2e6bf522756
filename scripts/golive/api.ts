/**
 * The `golive` command's view of the app: its HTTP API (`/api/golive/...`) at `--url` / `GOLIVE_URL` (default the
 * local host), with the function key from `--key` / `GOLIVE_KEY` sent as `x-functions-key`. The key is never printed.
 */

export const DEFAULT_URL = 'http://localhost:7071';

export interface AppTarget {
  /** The app's origin (and any path prefix before `/api`), no trailing slash. */
  url: string;
  key?: string;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** The app could not be reached (connection refused, DNS, timeout) or refused the key. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
  readonly code = 'Unreachable';
}

export function appTarget(flags: { url?: string; key?: string }, env: NodeJS.ProcessEnv): AppTarget {
  const url = (flags.url ?? env.GOLIVE_URL ?? DEFAULT_URL).replace(/\/+$/, '');
  const key = flags.key ?? env.GOLIVE_KEY;
  try {
    new URL(url);
  } catch {
    throw new UnreachableError(`--url / GOLIVE_URL must be an absolute URL, not "${url}".`);
  }
  return key ? { url, key } : { url };
}

/** Calls `/api/golive{path}`; a network failure throws `UnreachableError`, any HTTP answer is returned. */
export async function callApi(target: AppTarget, path: string, init: RequestInit = {}): Promise<ApiAnswer> {
  const headers = new Headers(init.headers);
  if (target.key) headers.set('x-functions-key', target.key);
  let res: Response;
  try {
    res = await fetch(`${target.url}/api/golive${path}`, { ...init, headers, signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e instanceof Error ? e.name : 'error');
    throw new UnreachableError(`Cannot reach the app at ${target.url} (${cause}). Locally: npm start.`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (res.status === 401 || res.status === 403) {
    throw new UnreachableError(
      `The app at ${target.url} refused the key (HTTP ${res.status}): pass its function key with --key or GOLIVE_KEY.`,
    );
  }
  return { status: res.status, body };
}
