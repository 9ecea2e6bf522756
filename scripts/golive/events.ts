/**
 * `golive events`: the completion and rejection events on `golive-events` (CloudEvents JSON, base64 as the app
 * writes them), read with a peek so no consumer loses one. `--follow` peeks again every few seconds and prints the
 * events not seen before. A peek sees the oldest 32 messages: where nothing consumes the queue (locally), newer
 * events appear once older ones are removed.
 */
import type { QueueClient } from '@azure/storage-queue';

export interface PeekedEvent {
  id: string;
  type: string;
  source: string;
  time: string;
  data: Record<string, unknown>;
  raw: unknown;
}

export function decodeEvent(messageText: string): PeekedEvent | undefined {
  let text = messageText;
  if (!text.trimStart().startsWith('{')) text = Buffer.from(text, 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const o = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  if (!o || typeof o.id !== 'string' || typeof o.type !== 'string') return undefined;
  return {
    id: o.id,
    type: o.type,
    source: typeof o.source === 'string' ? o.source : '',
    time: typeof o.time === 'string' ? o.time : '',
    data: typeof o.data === 'object' && o.data !== null ? (o.data as Record<string, unknown>) : {},
    raw: parsed,
  };
}

/** One line: time, type, offer, outcome detail. */
export function eventLine(e: PeekedEvent): string {
  const d = e.data;
  const offer =
    typeof d.publisherId === 'string' && typeof d.offerId === 'string' ? `${d.publisherId}/${d.offerId}` : e.source;
  const error = d.error as { code?: unknown; message?: unknown } | null | undefined;
  const detail =
    e.type === 'golive.rejected'
      ? `message ${String(d.messageId)}: ${String(d.reason)}`
      : `run ${String(d.runId)}, ${String(d.pollCount)} checks, ${String(d.durationSeconds)} s` +
        (error && typeof error.code === 'string' ? `, ${error.code}: ${String(error.message)}` : '');
  return `${e.time} ${e.type} ${offer} ${detail}`;
}

export async function peekEvents(queue: QueueClient): Promise<PeekedEvent[]> {
  if (!(await queue.exists())) return [];
  const peeked = await queue.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems
    .map((m) => decodeEvent(m.messageText))
    .filter((e): e is PeekedEvent => e !== undefined);
}
