/**
 * host.json as the host reads it: the parts this local host honours, with the host's defaults.
 * Queue defaults: azure-sdk-for-net `Microsoft.Azure.WebJobs.Extensions.Storage.Queues` `QueuesOptions.cs`.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { HostConfigError } from './errors';

export interface QueuesOptions {
  batchSize: number;
  newBatchThreshold: number;
  maxPollingIntervalMs: number;
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
}

export interface HostJsonView {
  raw: Record<string, unknown>;
  queues: QueuesOptions;
  routePrefix: string;
  functionTimeoutMs: number | undefined;
  logLevels: Record<string, unknown>;
}

/** A .NET TimeSpan string (`hh:mm:ss[.fff]`, `d.hh:mm:ss`) or a number of milliseconds → ms. */
export function parseTimeSpan(value: unknown, setting: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(value.trim());
    if (m) {
      const [, d, h, min, s, frac] = m;
      const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
      return (((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s)) * 1000 + ms;
    }
  }
  throw new HostConfigError(
    `host.json: "${setting}" must be a TimeSpan such as "00:00:30" (got ${JSON.stringify(value)}).`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function intSetting(value: unknown, setting: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new HostConfigError(
      `host.json: "${setting}" must be an integer from ${min} to ${max} (got ${JSON.stringify(value)}).`,
    );
  }
  return value;
}

/** Deep-merges `override` into `base` (objects merge, everything else replaces). */
export function mergeJson(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const prev = out[k];
    out[k] = isRecord(prev) && isRecord(v) ? mergeJson(prev, v) : v;
  }
  return out;
}

export function readHostJsonFile(appDir: string): Record<string, unknown> {
  const file = path.join(appDir, 'host.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { version: '2.0' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new HostConfigError(`host.json is not valid JSON: ${(err as Error).message}`);
  }
  if (!isRecord(parsed)) throw new HostConfigError('host.json must be a JSON object.');
  return parsed;
}

export function queuesOptions(raw: Record<string, unknown>): QueuesOptions {
  const extensions = isRecord(raw.extensions) ? raw.extensions : {};
  const q = isRecord(extensions.queues) ? extensions.queues : {};
  const batchSize = q.batchSize === undefined ? 16 : intSetting(q.batchSize, 'extensions.queues.batchSize', 1, 32);
  // Default newBatchThreshold is (batchSize / 2) * processorCount (QueuesOptions.NewBatchThreshold).
  const newBatchThreshold =
    q.newBatchThreshold === undefined
      ? Math.floor(batchSize / 2) * Math.max(1, os.cpus().length)
      : intSetting(q.newBatchThreshold, 'extensions.queues.newBatchThreshold', 0, 10_000);
  const maxPollingIntervalMs =
    q.maxPollingInterval === undefined
      ? 60_000
      : parseTimeSpan(q.maxPollingInterval, 'extensions.queues.maxPollingInterval');
  // The host rejects a maxPollingInterval under 100 ms (QueuePollingIntervals.Minimum).
  if (maxPollingIntervalMs < 100)
    throw new HostConfigError('host.json: "extensions.queues.maxPollingInterval" must be at least 00:00:00.1.');
  const visibilityTimeoutMs =
    q.visibilityTimeout === undefined ? 0 : parseTimeSpan(q.visibilityTimeout, 'extensions.queues.visibilityTimeout');
  const maxDequeueCount =
    q.maxDequeueCount === undefined
      ? 5
      : intSetting(q.maxDequeueCount, 'extensions.queues.maxDequeueCount', 1, 1_000_000);
  const enc =
    q.messageEncoding === undefined
      ? 'base64'
      : (typeof q.messageEncoding === 'string' ? q.messageEncoding : '').toLowerCase();
  if (enc !== 'base64' && enc !== 'none') {
    throw new HostConfigError('host.json: "extensions.queues.messageEncoding" must be "base64" or "none".');
  }
  return {
    batchSize,
    newBatchThreshold,
    maxPollingIntervalMs,
    visibilityTimeoutMs,
    maxDequeueCount,
    messageEncoding: enc,
  };
}

export function viewHostJson(raw: Record<string, unknown>): HostJsonView {
  const extensions = isRecord(raw.extensions) ? raw.extensions : {};
  const http = isRecord(extensions.http) ? extensions.http : {};
  const routePrefix = typeof http.routePrefix === 'string' ? http.routePrefix.replace(/^\/+|\/+$/g, '') : 'api';
  const timeout = raw.functionTimeout;
  // "-1" (or absent locally) = unbounded.
  const functionTimeoutMs =
    timeout === undefined || timeout === null || timeout === '-1' || timeout === -1
      ? undefined
      : parseTimeSpan(timeout, 'functionTimeout');
  const logging = isRecord(raw.logging) ? raw.logging : {};
  const logLevels = isRecord(logging.logLevel) ? logging.logLevel : {};
  return { raw, queues: queuesOptions(raw), routePrefix, functionTimeoutMs, logLevels };
}

export function loadHostJson(appDir: string, override?: Record<string, unknown>): HostJsonView {
  const raw = readHostJsonFile(appDir);
  return viewHostJson(override ? mergeJson(raw, override) : raw);
}
