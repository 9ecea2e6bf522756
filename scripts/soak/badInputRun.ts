/**
 * Sends bad input to `golive-requests` and checks the product contract for each message:
 *
 * - decodable (valid base64, as the trigger expects): exactly one record on `golive-rejected` with a non-empty
 *   reason (containing the corpus entry's `reason` where it names one) and the original text, and exactly one
 *   `golive.rejected` event on `golive-events`; never on the poison queue;
 * - not decodable (stored text that is not base64): moved by the host, unchanged, to `golive-requests-poison`;
 * - none starts a run (no Durable instance) or reaches the partner API (the simulator records no request at all);
 * - the requests queue ends empty and the host process stays up (same process, no exit).
 */
import type { BadMessage } from './badInput';
import type { Stack } from './stack';
import { decodeStored, drainQueue, instancesByStatus, queueDepth, sendAll, type StoredText } from './storage';

export const REQUESTS_QUEUE = 'golive-requests';
export const POISON_QUEUE = 'golive-requests-poison';
export const REJECTED_QUEUE = 'golive-rejected';
export const EVENTS_QUEUE = 'golive-events';
/** Longest text the app keeps in a rejected record (src/golive/request.ts MAX_MESSAGE_CHARS); it cuts more to fit. */
const MAX_KEPT_CHARS = 16_384;

export interface BadInputResult {
  sent: number;
  rejected: number;
  poisoned: number;
  expectedRejected: number;
  expectedPoison: number;
  partnerRequests: number;
  problems: string[];
  /** Texts read from the queues (for the secret scan). */
  texts: StoredText[];
  wallMs: number;
}

interface RejectedRecordView {
  messageId?: unknown;
  reason?: unknown;
  originalText?: unknown;
  originalTextTruncated?: unknown;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** JSON text in a canonical form (same value, same text), or undefined when it is not JSON. */
function canonicalJson(text: string): string | undefined {
  const value = parse(text);
  return value === undefined ? undefined : JSON.stringify(value);
}

/**
 * Whether a rejected record's `originalText` is the message text. The Node.js Functions library hands the app
 * the trigger text JSON-parsed when it parses (`fromRpcTypedData` tries JSON on every string), so for a JSON
 * message the app can only keep the same JSON value re-serialised, and for a JSON string message its content.
 * Text that is not JSON must be kept exactly (cut to the first MAX_KEPT_CHARS characters).
 */
export function holdsOriginal(original: string | undefined, text: string, truncated = false): boolean {
  if (original === undefined) return false;
  const kept = text.length > MAX_KEPT_CHARS ? text.slice(0, MAX_KEPT_CHARS) : text;
  if (original === kept) return true;
  // Cut further so that the record fits a queue message (src/golive/request.ts MAX_REJECTED_RECORD_BYTES): a
  // marked, non-empty prefix of the text.
  if (truncated && original.length > 0 && kept.startsWith(original)) return true;
  const value = parse(text);
  if (value === undefined) return false;
  if (typeof value === 'string') return original === value || original === value.slice(0, MAX_KEPT_CHARS);
  const canonical = canonicalJson(original);
  return canonical !== undefined && canonical === JSON.stringify(value);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runBadInput(
  stack: Stack,
  messages: readonly BadMessage[],
  options: { timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<BadInputResult> {
  const t0 = Date.now();
  const conn = stack.connectionString;
  const log = options.log ?? (() => undefined);
  const pidBefore = stack.host.pid;
  const exitsBefore = stack.host.unexpectedExits.length;
  const partnerBefore = stack.simulator.admin.requests().length;
  const instancesBefore = (await instancesByStatus(stack.connectionString, 'golive')).length;
  const problems: string[] = [];
  const texts: StoredText[] = [];

  const ids = await sendAll(
    conn,
    REQUESTS_QUEUE,
    messages.map((m) => m.stored),
  );
  log(`sent ${ids.length} bad messages`);
  const byId = new Map<string, BadMessage>();
  ids.forEach((id, i) => {
    const m = messages[i];
    if (m) byId.set(id, m);
  });
  const expectedRejected = messages.filter((m) => m.expect === 'rejected').length;
  const expectedPoison = messages.filter((m) => m.expect === 'poison').length;

  const records = new Map<string, RejectedRecordView[]>();
  const events = new Map<string, number>();
  const poison: string[] = [];
  const timeoutMs = options.timeoutMs ?? 60_000 + messages.length * 40;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const m of await drainQueue(conn, REJECTED_QUEUE)) {
      const text = decodeStored(m.stored);
      texts.push({ where: `queue ${REJECTED_QUEUE} ${m.messageId}`, text });
      const record = parse(text) as RejectedRecordView | undefined;
      const id = typeof record?.messageId === 'string' ? record.messageId : '';
      const list = records.get(id) ?? [];
      list.push(record ?? {});
      records.set(id, list);
    }
    for (const m of await drainQueue(conn, EVENTS_QUEUE)) {
      const text = decodeStored(m.stored);
      texts.push({ where: `queue ${EVENTS_QUEUE} ${m.messageId}`, text });
      const event = parse(text) as { type?: unknown; data?: { messageId?: unknown } } | undefined;
      if (event?.type !== 'golive.rejected') {
        problems.push(`unexpected event ${String(event?.type)} on ${EVENTS_QUEUE}`);
        continue;
      }
      const id = typeof event.data?.messageId === 'string' ? event.data.messageId : '';
      events.set(id, (events.get(id) ?? 0) + 1);
    }
    for (const m of await drainQueue(conn, POISON_QUEUE)) {
      texts.push({ where: `queue ${POISON_QUEUE} ${m.messageId}`, text: m.stored });
      poison.push(m.stored);
    }
    const done = records.size >= expectedRejected && poison.length >= expectedPoison && events.size >= expectedRejected;
    if (done && (await queueDepth(conn, REQUESTS_QUEUE)) === 0) break;
    if (Date.now() > deadline) {
      problems.push(
        `timed out after ${timeoutMs} ms: ${records.size}/${expectedRejected} rejected, ${poison.length}/${expectedPoison} poisoned, ` +
          `${events.size}/${expectedRejected} rejected events, ${await queueDepth(conn, REQUESTS_QUEUE)} left on ${REQUESTS_QUEUE}`,
      );
      break;
    }
    await sleep(500);
  }

  // Each message against the contract.
  const poisonLeft = new Map<string, number>();
  for (const p of poison) poisonLeft.set(p, (poisonLeft.get(p) ?? 0) + 1);
  for (const [id, m] of byId) {
    const recs = records.get(id) ?? [];
    if (m.expect === 'rejected') {
      if (recs.length !== 1) {
        problems.push(`${m.name}: ${recs.length} rejected records (expected 1)`);
        continue;
      }
      const rec = recs[0] ?? {};
      const reason = typeof rec.reason === 'string' ? rec.reason : '';
      if (reason.trim() === '') problems.push(`${m.name}: rejected without a reason`);
      if (m.reason && !reason.toLowerCase().includes(m.reason.toLowerCase())) {
        problems.push(`${m.name}: reason "${reason}" does not mention "${m.reason}"`);
      }
      const original = typeof rec.originalText === 'string' ? rec.originalText : undefined;
      if (!holdsOriginal(original, decodeStored(m.stored), rec.originalTextTruncated === true)) {
        problems.push(`${m.name}: the rejected record does not hold the original text`);
      }
      if ((events.get(id) ?? 0) !== 1)
        problems.push(`${m.name}: ${events.get(id) ?? 0} golive.rejected events (expected 1)`);
      if (poisonLeft.get(m.stored)) problems.push(`${m.name}: decodable, yet on ${POISON_QUEUE}`);
    } else {
      if (recs.length > 0)
        problems.push(`${m.name}: not decodable, yet rejected by the app (${String(recs[0]?.reason)})`);
      const left = poisonLeft.get(m.stored) ?? 0;
      if (left === 0) problems.push(`${m.name}: not on ${POISON_QUEUE}`);
      else poisonLeft.set(m.stored, left - 1);
    }
  }
  for (const [stored, left] of poisonLeft) {
    if (left > 0 && !messages.some((m) => m.expect === 'poison' && m.stored === stored)) {
      problems.push(`unexpected message on ${POISON_QUEUE}: ${stored.slice(0, 80)}`);
    }
  }
  for (const id of records.keys()) if (!byId.has(id)) problems.push(`rejected record for an unknown message ${id}`);

  const partnerRequests = stack.simulator.admin.requests().length - partnerBefore;
  if (partnerRequests !== 0) problems.push(`${partnerRequests} requests reached the partner API simulator`);
  const instances = await instancesByStatus(conn, 'golive');
  if (instances.length > instancesBefore) {
    problems.push(`${instances.length - instancesBefore} go-live runs were started by bad input`);
  }
  const left = await queueDepth(conn, REQUESTS_QUEUE);
  if (left !== 0) problems.push(`${left} messages left on ${REQUESTS_QUEUE}`);
  if (!stack.host.running) problems.push('the host process is not running');
  if (stack.host.pid !== pidBefore) problems.push('the host process changed');
  if (stack.host.unexpectedExits.length !== exitsBefore) problems.push('the host process exited');

  let rejected = 0;
  for (const [id, recs] of records) if (byId.has(id)) rejected += recs.length;
  return {
    sent: ids.length,
    rejected,
    poisoned: poison.length,
    expectedRejected,
    expectedPoison,
    partnerRequests,
    problems,
    texts,
    wallMs: Date.now() - t0,
  };
}
