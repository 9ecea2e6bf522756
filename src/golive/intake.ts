import { type CloudEvent } from '../events/cloudEvent';
import type { PartnerApiKind } from '../partner/types';
import { buildRejectedEvent, type RejectedData } from './completionEvent';
import { type GoLiveRequest, messageText, parseGoLiveRequest, type RejectedRecord, rejectedRecord } from './request';
import type { RunSettings } from './run/record';
import { type RunClient, startOrJoin, type StartOrJoinResult } from './startOrJoin';

/**
 * Intake of one `golive-requests` message: validate, then start or join the offer's run. An invalid message is
 * answered with a rejected record and a `golive.rejected` event (the caller writes both) and is not retried;
 * transient failures (the Durable client) throw so the queue delivers the message again.
 */

export type IntakeResult =
  | { kind: 'rejected'; record: RejectedRecord; event: CloudEvent<RejectedData> }
  | { kind: 'accepted'; request: GoLiveRequest; outcome: StartOrJoinResult };

export interface IntakeDeps {
  client: RunClient;
  settings: RunSettings;
  defaultApi: PartnerApiKind;
  now?: () => Date;
  log?: (message: string) => void;
  joinConfirmMs?: number;
}

/** The raw text and id of a queue message, from the trigger value and its metadata. */
export function queueMessage(
  message: unknown,
  triggerMetadata: Record<string, unknown> | undefined,
  fallbackId: string,
): { text: string; messageId: string } {
  const meta = triggerMetadata ?? {};
  const raw = meta.queueTrigger;
  const text = typeof raw === 'string' ? raw : messageText(message);
  const messageId = typeof meta.id === 'string' && meta.id !== '' ? meta.id : fallbackId;
  return { text, messageId };
}

export async function intake(text: string, messageId: string, deps: IntakeDeps): Promise<IntakeResult> {
  const now = deps.now ?? (() => new Date());
  const parsed = parseGoLiveRequest(text, { messageId, defaultApi: deps.defaultApi });
  if (!parsed.ok) {
    const record = rejectedRecord(text, parsed.reason, messageId, now());
    return { kind: 'rejected', record, event: buildRejectedEvent(record, tryParse(text)) };
  }
  const outcome = await startOrJoin(parsed.request, {
    client: deps.client,
    settings: deps.settings,
    now,
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.joinConfirmMs !== undefined ? { joinConfirmMs: deps.joinConfirmMs } : {}),
  });
  return { kind: 'accepted', request: parsed.request, outcome };
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
