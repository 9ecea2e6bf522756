import { z } from 'zod';

import type { PartnerApiKind } from '../partner/types';

/**
 * The go-live request contract (queue `golive-requests`, message text JSON). See docs/workflow.md "Sending a request".
 *
 * Unknown extra fields are stripped, not rejected: upstream systems may add their own fields (trace ids, notes)
 * without breaking intake; only the documented fields are kept and stored. Parsing builds a fresh object from
 * the known keys only, so `__proto__`/`constructor` keys in the message can never reach a prototype.
 */

export const ID_PATTERN = /^[a-z0-9_-]{1,50}$/;
/** Request ids: queue message ids (GUIDs), schedule ids, caller ids. Printable, no spaces, no `/ \ # ?`. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,127}$/;
export const PRODUCT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const REQUESTED_BY_MAX = 200;
/** Longest message text read at all; longer text is rejected without parsing. */
export const MAX_MESSAGE_CHARS = 16_384;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

const idField = (name: string) =>
  z
    .string({ error: (i) => (i.input === undefined ? `${name} is required` : `${name} must be a string`) })
    .regex(ID_PATTERN, `${name} must be 1-50 lowercase letters, digits, "-" or "_"`);

export const goLiveRequestSchema = z
  .object({
    publisherId: idField('publisherId'),
    offerId: idField('offerId'),
    requestId: z
      .string({ error: 'requestId must be a string' })
      .regex(REQUEST_ID_PATTERN, 'requestId must be 1-128 letters, digits or ._:@+=- (starting with a letter or digit)')
      .optional(),
    requestedBy: z
      .string({ error: 'requestedBy must be a string' })
      .trim()
      .min(1, 'requestedBy must not be empty')
      .max(REQUESTED_BY_MAX, `requestedBy must be at most ${REQUESTED_BY_MAX} characters`)
      .refine((v) => !CONTROL_CHARS.test(v), 'requestedBy must not contain control characters')
      .optional(),
    api: z.enum(['cpp', 'productIngestion'], { error: 'api must be "cpp" or "productIngestion"' }).optional(),
    productId: z
      .string({ error: 'productId must be a string' })
      .regex(PRODUCT_ID_PATTERN, 'productId must be 1-128 letters, digits or ._:-')
      .optional(),
  })
  .strip();

/** A valid request with its defaults applied. */
export interface GoLiveRequest {
  publisherId: string;
  offerId: string;
  requestId: string;
  requestedBy?: string;
  api: PartnerApiKind;
  productId?: string;
}

export type ParseResult = { ok: true; request: GoLiveRequest } | { ok: false; reason: string };

export interface ParseOptions {
  /** The queue message id: the default `requestId` (stable across redeliveries of the same message). */
  messageId: string;
  defaultApi: PartnerApiKind;
}

/** Text of a queue message as the trigger delivered it (the library parses JSON bodies into objects). */
export function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (Buffer.isBuffer(message)) return message.toString('utf8');
  if (message === undefined) return '';
  try {
    return JSON.stringify(message) ?? '';
  } catch {
    return '[message that cannot be shown as text]';
  }
}

/** Validates a go-live request from its message text. Never throws. */
export function parseGoLiveRequest(text: string, options: ParseOptions): ParseResult {
  if (text.length > MAX_MESSAGE_CHARS) {
    return { ok: false, reason: `message is longer than ${MAX_MESSAGE_CHARS} characters` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'message is not valid JSON' };
  }
  return validateGoLiveRequest(json, options);
}

/** Validates an already-parsed request body. Never throws. */
export function validateGoLiveRequest(json: unknown, options: ParseOptions): ParseResult {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, reason: 'message must be a JSON object' };
  }
  const result = goLiveRequestSchema.safeParse(json);
  if (!result.success) {
    return { ok: false, reason: formatIssues(result.error.issues) };
  }
  const body = result.data;
  const api = body.api ?? options.defaultApi;
  if (body.productId !== undefined && api !== 'productIngestion') {
    return { ok: false, reason: 'productId applies to api "productIngestion" only' };
  }
  const requestId = body.requestId ?? options.messageId;
  if (!REQUEST_ID_PATTERN.test(requestId)) {
    return { ok: false, reason: 'the message id cannot serve as requestId; send a requestId' };
  }
  const request: GoLiveRequest = { publisherId: body.publisherId, offerId: body.offerId, requestId, api };
  if (body.requestedBy !== undefined) request.requestedBy = body.requestedBy;
  if (body.productId !== undefined) request.productId = body.productId;
  return { ok: true, request };
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return issue.message.startsWith(path) || path === '' ? issue.message : `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** The record written to `golive-rejected`. */
export interface RejectedRecord {
  originalText: string;
  /** Set when `originalText` was cut (to `MAX_MESSAGE_CHARS`, or to fit a queue message). */
  originalTextTruncated?: true;
  reason: string;
  rejectedAt: string;
  messageId: string;
}

/**
 * Largest rejected record, as JSON bytes. A queue message holds 64 KiB after the host's base64 encoding, so 48 KiB
 * of JSON at most; control characters triple or sextuple when JSON-escaped and CJK text takes 3 bytes a character,
 * so the text is cut by its encoded size, not its length.
 */
export const MAX_REJECTED_RECORD_BYTES = 40_000;

export function rejectedRecord(text: string, reason: string, messageId: string, now: Date): RejectedRecord {
  const record: RejectedRecord = {
    originalText: text.length > MAX_MESSAGE_CHARS ? text.slice(0, MAX_MESSAGE_CHARS) : text,
    reason,
    rejectedAt: now.toISOString(),
    messageId,
  };
  let size = Buffer.byteLength(JSON.stringify(record));
  while (size > MAX_REJECTED_RECORD_BYTES && record.originalText.length > 0) {
    const keep = Math.floor(record.originalText.length * (MAX_REJECTED_RECORD_BYTES / size) * 0.95);
    record.originalText = record.originalText.slice(0, keep);
    size = Buffer.byteLength(JSON.stringify(record));
  }
  if (record.originalText.length < text.length) record.originalTextTruncated = true;
  return record;
}
