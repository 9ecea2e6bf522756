import { createHash } from 'node:crypto';

import type { RunTarget } from './record';

/**
 * Run identity: one Durable instance per offer, so at most one go-live runs per offer at a time.
 *
 * The instance id is `golive:{publisherId}:{offerId}`. It is the same whichever partner API the request names:
 * an offer lives in one API, and a run per offer (not per API) is the stricter guarantee against two Go Live
 * calls for the same offer. Ids are lowercase `[a-z0-9_-]` by the request rules, so the id never holds
 * `/ \ # ?` or control characters; the longest pair (50 + 50) would make 108 characters, so ids longer than
 * the Durable limit of 100 keep a readable prefix and end in a hash of the full pair.
 */

export const INSTANCE_ID_PREFIX = 'golive:';
export const MAX_INSTANCE_ID_LENGTH = 100;

// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_INSTANCE_ID = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

export function runInstanceId(target: Pick<RunTarget, 'publisherId' | 'offerId'>): string {
  const plain = `${INSTANCE_ID_PREFIX}${target.publisherId}:${target.offerId}`;
  if (plain.length <= MAX_INSTANCE_ID_LENGTH) return plain;
  const hash = sha256Hex(`${target.publisherId}/${target.offerId}`).slice(0, 16);
  // 100 = prefix + kept + '~' + 16 hex.
  const keep = MAX_INSTANCE_ID_LENGTH - 1 - hash.length;
  return `${plain.slice(0, keep)}~${hash}`;
}

/** Whether `id` satisfies the Durable instance id rules (non-empty, at most 100 chars, no `/ \ # ?`, no control chars). */
export function isValidInstanceId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_INSTANCE_ID_LENGTH && !FORBIDDEN_IN_INSTANCE_ID.test(id);
}

/** Whether an instance id is one of ours (a go-live run). */
export function isRunInstanceId(id: string): boolean {
  return id.startsWith(INSTANCE_ID_PREFIX);
}

/**
 * The run id: a name-based UUID (RFC 4122 version 5 layout over SHA-1) of the instance id, the run's number for
 * this offer, and the request that started it. Deterministic, so a redelivered start computes the same id.
 */
export function deriveRunId(instanceId: string, runNumber: number, requestId: string): string {
  const bytes = createHash('sha1').update(`${instanceId}\n${runNumber}\n${requestId}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
