import { setTimeout as delay } from 'node:timers/promises';

/** Small helpers the app shares, each defined once. No I/O beyond timers. */

/** A plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value of an own property only (never one from the prototype, such as `constructor`). */
export function own(body: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(body, key) ? (body as Record<string, unknown>)[key] : undefined;
}

/** Waits `ms` milliseconds; rejects when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : undefined).then(() => undefined);
}

/** Whether a URL's host is this machine (localhost, 127.x.x.x, ::1). */
export function isLoopbackUrl(value: string): boolean {
  try {
    const { hostname } = new URL(value);
    return (
      hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname)
    );
  } catch {
    return false;
  }
}
