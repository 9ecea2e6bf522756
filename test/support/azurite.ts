/**
 * Azurite for tests: `startAzurite()` (in memory, free ports) from the local host's tooling, and small helpers to
 * read and write queues the way the Functions host stores messages.
 */
import { QueueClient, QueueServiceClient } from '@azure/storage-queue';

import { decodeMessage, encodeMessage, type MessageEncoding } from '../../tools/host/queues/encoding';

export { type AzuriteOptions, type RunningAzurite, startAzurite } from '../../tools/host/azurite';

/** A queue client on `connectionString` (no encoding: raw stored text). */
export function queueClient(connectionString: string, queueName: string): QueueClient {
  return QueueServiceClient.fromConnectionString(connectionString).getQueueClient(queueName);
}

/** Creates the queue if needed and adds `body` encoded as the host expects (`base64` by default). */
export async function enqueue(
  connectionString: string,
  queueName: string,
  body: string | object,
  encoding: MessageEncoding = 'base64',
): Promise<string> {
  const queue = queueClient(connectionString, queueName);
  await queue.createIfNotExists();
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const sent = await queue.sendMessage(encodeMessage(text, encoding));
  return sent.messageId;
}

/** Peeks up to 32 messages (not removed), decoded (`raw` keeps the stored text). */
export async function peekAll(
  connectionString: string,
  queueName: string,
  encoding: MessageEncoding | 'raw' = 'base64',
): Promise<string[]> {
  const queue = queueClient(connectionString, queueName);
  if (!(await queue.exists())) return [];
  const peeked = await queue.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((m) =>
    encoding === 'raw' ? m.messageText : (decodeMessage(m.messageText, encoding) ?? m.messageText),
  );
}
