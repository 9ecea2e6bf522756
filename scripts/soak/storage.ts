/**
 * Reading Azurite directly for the reliability runs: queue depths, draining a queue, and a dump of everything
 * stored (every table entity, blob and queue message) for the secret scan.
 */
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueClient, QueueServiceClient } from '@azure/storage-queue';

import { isStrictBase64 } from './badInput';

export interface StoredText {
  /** Where it was read, e.g. `table goliveHistory`, `queue golive-events`, `blob golive-largemessages/x.json`. */
  where: string;
  text: string;
}

export function queue(connectionString: string, name: string): QueueClient {
  return QueueServiceClient.fromConnectionString(connectionString).getQueueClient(name);
}

/** Approximate message count (visible and invisible); 0 when the queue does not exist. */
export async function queueDepth(connectionString: string, name: string): Promise<number> {
  const q = queue(connectionString, name);
  if (!(await q.exists())) return 0;
  const props = await q.getProperties();
  return props.approximateMessagesCount ?? 0;
}

/** Base64-decoded text when the stored text is strict base64 (as the host writes output messages), else the text. */
export function decodeStored(stored: string): string {
  return isStrictBase64(stored) ? Buffer.from(stored.replace(/\s/g, ''), 'base64').toString('utf8') : stored;
}

export interface DrainedMessage {
  messageId: string;
  /** The stored text exactly. */
  stored: string;
  insertedOn?: Date;
}

/** Receives and deletes every visible message (32 at a time) until the queue shows none. */
export async function drainQueue(connectionString: string, name: string): Promise<DrainedMessage[]> {
  const q = queue(connectionString, name);
  if (!(await q.exists())) return [];
  const out: DrainedMessage[] = [];
  for (;;) {
    const received = await q.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
    if (received.receivedMessageItems.length === 0) return out;
    await Promise.all(
      received.receivedMessageItems.map(async (m) => {
        const item: DrainedMessage = { messageId: m.messageId, stored: m.messageText };
        if (m.insertedOn) item.insertedOn = m.insertedOn;
        out.push(item);
        await q.deleteMessage(m.messageId, m.popReceipt);
      }),
    );
  }
}

/** Sends stored texts as they are, `concurrency` at a time; returns the queue message ids in order. */
export async function sendAll(
  connectionString: string,
  name: string,
  storedTexts: readonly string[],
  concurrency = 16,
): Promise<string[]> {
  const q = queue(connectionString, name);
  await q.createIfNotExists();
  const ids = new Array<string>(storedTexts.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, storedTexts.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= storedTexts.length) return;
        const sent = await q.sendMessage(storedTexts[i] ?? '');
        ids[i] = sent.messageId;
      }
    }),
  );
  return ids;
}

/** Every table entity, blob and (peeked) queue message in the account, as text. */
export async function dumpStorage(connectionString: string): Promise<StoredText[]> {
  const out: StoredText[] = [];
  const tables = TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: true });
  for await (const t of tables.listTables()) {
    if (!t.name) continue;
    const client = TableClient.fromConnectionString(connectionString, t.name, { allowInsecureConnection: true });
    for await (const entity of client.listEntities()) {
      out.push({ where: `table ${t.name} ${entity.partitionKey}/${entity.rowKey}`, text: JSON.stringify(entity) });
    }
  }
  const blobs = BlobServiceClient.fromConnectionString(connectionString);
  for await (const c of blobs.listContainers()) {
    const container = blobs.getContainerClient(c.name);
    for await (const b of container.listBlobsFlat()) {
      const buf = await container.getBlobClient(b.name).downloadToBuffer();
      out.push({ where: `blob ${c.name}/${b.name}`, text: buf.toString('utf8') });
    }
  }
  const queues = QueueServiceClient.fromConnectionString(connectionString);
  for await (const q of queues.listQueues()) {
    const client = queues.getQueueClient(q.name);
    const peeked = await client.peekMessages({ numberOfMessages: 32 });
    for (const m of peeked.peekedMessageItems) {
      out.push({ where: `queue ${q.name} ${m.messageId}`, text: `${m.messageText}\n${decodeStored(m.messageText)}` });
    }
  }
  return out;
}

/** Durable instances by runtime status, read from the task hub's Instances table. */
export async function instancesByStatus(
  connectionString: string,
  hubName: string,
): Promise<{ instanceId: string; runtimeStatus: string; customStatus?: string }[]> {
  const client = TableClient.fromConnectionString(connectionString, `${hubName}Instances`, {
    allowInsecureConnection: true,
  });
  const out: { instanceId: string; runtimeStatus: string; customStatus?: string }[] = [];
  try {
    for await (const e of client.listEntities<Record<string, unknown>>()) {
      const row: { instanceId: string; runtimeStatus: string; customStatus?: string } = {
        instanceId: typeof e.partitionKey === 'string' ? e.partitionKey : '',
        runtimeStatus: typeof e['RuntimeStatus'] === 'string' ? e['RuntimeStatus'] : '',
      };
      if (typeof e['CustomStatus'] === 'string') row.customStatus = e['CustomStatus'];
      out.push(row);
    }
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return [];
    throw e;
  }
  return out;
}
