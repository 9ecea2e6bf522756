/**
 * Task hub storage, laid out like the Durable Task Azure Storage provider: `{hub}Instances` (one row per
 * instance), `{hub}History` (one row per history event, partition = instance id), control queues
 * `{hub}-control-NN` (orchestration messages, partitioned by instance id), the work-item queue `{hub}-workitems`
 * (activities), and blob container `{hub}-largemessages` for payloads too big for a row or a message.
 * Durable timers are control-queue messages that become visible at their fire time.
 */
import { createHash, randomUUID } from 'node:crypto';

import { odata, TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { type QueueClient, QueueServiceClient } from '@azure/storage-queue';

import type { ControlMessage, HistoryEvent, InstanceState, RuntimeStatus, WorkItemMessage } from './types';

/** Property strings above this many characters go to a blob (table properties hold 64 KiB, i.e. 32K UTF-16 chars). */
const ROW_INLINE_LIMIT = 30_000;
/** Messages above this many bytes go to a blob (the queue limit is 64 KiB). */
const MESSAGE_INLINE_LIMIT = 45_000;
/** The queue service caps the visibility timeout at 7 days; longer timers hop. */
export const MAX_VISIBILITY_SECONDS = 7 * 24 * 3600 - 60;

export interface ReceivedMessage<T> {
  body: T;
  messageId: string;
  popReceipt: string;
  dequeueCount: number;
  queue: QueueClient;
}

export interface ListFilter {
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  runtimeStatus?: RuntimeStatus[];
  instanceIdPrefix?: string;
  top?: number;
  continuationToken?: string;
}

const HISTORY_FIELDS = ['EventType', 'EventId', 'IsPlayed', 'Timestamp'] as const;

function partitionOf(instanceId: string, count: number): number {
  const h = createHash('md5').update(instanceId).digest();
  return h.readUInt32BE(0) % count;
}

/** A deterministic GUID-like id (used where a retried step must produce the same id again). */
export function deterministicId(...parts: (string | number)[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export class TaskHubStore {
  readonly instances: TableClient;
  readonly history: TableClient;
  readonly controlQueues: QueueClient[];
  readonly workItems: QueueClient;
  readonly blobs: ContainerClient;
  /** The longest visibility delay a message may get (the queue service's limit; tests lower it to see hops). */
  maxVisibilitySeconds = MAX_VISIBILITY_SECONDS;
  private readonly uploaded = new Set<string>();

  constructor(
    connectionString: string,
    readonly hubName: string,
    partitionCount: number,
  ) {
    const opts = { allowInsecureConnection: true };
    this.instances = TableClient.fromConnectionString(connectionString, `${hubName}Instances`, opts);
    this.history = TableClient.fromConnectionString(connectionString, `${hubName}History`, opts);
    const qs = QueueServiceClient.fromConnectionString(connectionString);
    const lower = hubName.toLowerCase();
    this.controlQueues = Array.from({ length: Math.max(1, partitionCount) }, (_, i) =>
      qs.getQueueClient(`${lower}-control-${String(i).padStart(2, '0')}`),
    );
    this.workItems = qs.getQueueClient(`${lower}-workitems`);
    this.blobs = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(`${lower}-largemessages`);
  }

  async createIfNotExists(): Promise<void> {
    await Promise.all([
      this.instances.createTable(),
      this.history.createTable(),
      ...this.controlQueues.map((q) => q.createIfNotExists()),
      this.workItems.createIfNotExists(),
      this.blobs.createIfNotExists(),
    ]);
  }

  controlQueueFor(instanceId: string): QueueClient {
    const q = this.controlQueues[partitionOf(instanceId, this.controlQueues.length)];
    if (!q) throw new Error('no control queue');
    return q;
  }

  // ---- large payloads -------------------------------------------------------------------------------------

  private async putBlob(prefix: string, text: string): Promise<string> {
    const name = `${prefix}/${randomUUID()}.json`;
    await this.blobs.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
    return name;
  }

  private async getBlob(name: string): Promise<string> {
    const buf = await this.blobs.getBlockBlobClient(name).downloadToBuffer();
    return buf.toString('utf8');
  }

  private async deleteBlobsUnder(prefix: string): Promise<void> {
    for await (const b of this.blobs.listBlobsFlat({ prefix: `${prefix}/` })) {
      await this.blobs.deleteBlob(b.name).catch(() => undefined);
    }
  }

  private async inlineOrBlob(prefix: string, field: string, text: string | undefined, row: TableEntity): Promise<void> {
    if (text === undefined) {
      row[field] = null;
      row[`${field}BlobName`] = null;
    } else if (text.length > ROW_INLINE_LIMIT) {
      // Named by content, so the instance row written every episode does not upload the same input again.
      const name = `${prefix}/${field}-${createHash('sha256').update(text).digest('hex')}.json`;
      if (!this.uploaded.has(name)) {
        await this.blobs.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), {
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
        this.uploaded.add(name);
        if (this.uploaded.size > 1000) this.uploaded.clear();
      }
      row[field] = null;
      row[`${field}BlobName`] = name;
    } else {
      row[field] = text;
      row[`${field}BlobName`] = null;
    }
  }

  private async readField(row: Record<string, unknown>, field: string): Promise<string | undefined> {
    const blob = row[`${field}BlobName`];
    if (typeof blob === 'string' && blob) return this.getBlob(blob);
    const v = row[field];
    return typeof v === 'string' ? v : undefined;
  }

  // ---- messages -------------------------------------------------------------------------------------------

  async send(queue: QueueClient, body: ControlMessage | WorkItemMessage, delaySeconds = 0): Promise<void> {
    let text = JSON.stringify(body);
    if (Buffer.byteLength(text) > MESSAGE_INLINE_LIMIT) {
      const blobName = await this.putBlob(`${body.instanceId}/messages`, text);
      text = JSON.stringify({ blobName, instanceId: body.instanceId });
    }
    await queue.sendMessage(text, {
      visibilityTimeout: Math.min(Math.max(0, Math.ceil(delaySeconds)), this.maxVisibilitySeconds),
      messageTimeToLive: -1,
    });
  }

  async receive<T>(queue: QueueClient, max: number, visibilitySeconds: number): Promise<ReceivedMessage<T>[]> {
    const res = await queue.receiveMessages({
      numberOfMessages: Math.min(32, Math.max(1, max)),
      visibilityTimeout: visibilitySeconds,
    });
    const out: ReceivedMessage<T>[] = [];
    for (const m of res.receivedMessageItems) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(m.messageText);
        if (typeof parsed === 'object' && parsed !== null && 'blobName' in parsed) {
          const name = parsed.blobName;
          if (typeof name === 'string') parsed = JSON.parse(await this.getBlob(name));
        }
      } catch {
        // Not ours or unreadable: drop it so it cannot block the queue.
        await queue.deleteMessage(m.messageId, m.popReceipt).catch(() => undefined);
        continue;
      }
      out.push({
        body: parsed as T,
        messageId: m.messageId,
        popReceipt: m.popReceipt,
        dequeueCount: m.dequeueCount,
        queue,
      });
    }
    return out;
  }

  async delete(m: ReceivedMessage<unknown>): Promise<void> {
    await m.queue.deleteMessage(m.messageId, m.popReceipt).catch((e: unknown) => {
      // 404: already deleted or the pop receipt moved on (visibility renewed); nothing to do.
      if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    });
  }

  /** Extends a message's invisibility (long activities); returns the new pop receipt. */
  async renew(m: ReceivedMessage<unknown>, visibilitySeconds: number): Promise<void> {
    const r = await m.queue.updateMessage(m.messageId, m.popReceipt, undefined, visibilitySeconds);
    if (r.popReceipt) m.popReceipt = r.popReceipt;
  }

  // ---- instances ------------------------------------------------------------------------------------------

  async getInstance(instanceId: string): Promise<InstanceState | undefined> {
    return (await this.getInstanceEntry(instanceId))?.state;
  }

  /** The instance row with its ETag, for a conditional replace (`claimInstance`). */
  async getInstanceEntry(instanceId: string): Promise<{ state: InstanceState; etag: string } | undefined> {
    try {
      const row = await this.instances.getEntity<Record<string, unknown>>(instanceId, '');
      return { state: await this.toInstance(row), etag: row.etag };
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw e;
    }
  }

  /**
   * Writes a new execution's row only if the row is still what the caller read: absent (`etag` undefined) or
   * unchanged since (`etag`). Two starts of one instance id racing each other: exactly one wins. Returns false for
   * the loser.
   */
  async claimInstance(state: InstanceState, etag: string | undefined): Promise<boolean> {
    const row = await this.instanceRow(state);
    try {
      if (etag === undefined) await this.instances.createEntity(row);
      else await this.instances.updateEntity(row, 'Replace', { etag });
      return true;
    } catch (e) {
      const status = (e as { statusCode?: number }).statusCode;
      if (status === 409 || status === 412) return false;
      throw e;
    }
  }

  private async toInstance(row: Record<string, unknown>): Promise<InstanceState> {
    const s = (k: string): string | undefined => (typeof row[k] === 'string' ? row[k] : undefined);
    const d = (k: string): Date => {
      const v = row[k];
      return v instanceof Date ? v : new Date(typeof v === 'string' ? v : 0);
    };
    const state: InstanceState = {
      instanceId: s('partitionKey') ?? '',
      name: s('Name') ?? '',
      version: s('Version') ?? '',
      executionId: s('ExecutionId') ?? '',
      runtimeStatus: (s('RuntimeStatus') ?? 'Pending') as RuntimeStatus,
      input: await this.readField(row, 'Input'),
      output: await this.readField(row, 'Output'),
      customStatus: await this.readField(row, 'CustomStatus'),
      createdTime: d('CreatedTime'),
      lastUpdatedTime: d('LastUpdatedTime'),
    };
    const pi = s('ParentInstanceId');
    if (pi) {
      state.parentInstanceId = pi;
      state.parentExecutionId = s('ParentExecutionId') ?? '';
      state.parentTaskId = typeof row['ParentTaskId'] === 'number' ? row['ParentTaskId'] : 0;
    }
    return state;
  }

  async putInstance(state: InstanceState): Promise<void> {
    await this.instances.upsertEntity(await this.instanceRow(state), 'Replace');
  }

  private async instanceRow(state: InstanceState): Promise<TableEntity> {
    const row: TableEntity = {
      partitionKey: state.instanceId,
      rowKey: '',
      Name: state.name,
      Version: state.version,
      ExecutionId: state.executionId,
      RuntimeStatus: state.runtimeStatus,
      CreatedTime: state.createdTime,
      LastUpdatedTime: state.lastUpdatedTime,
      ParentInstanceId: state.parentInstanceId ?? null,
      ParentExecutionId: state.parentExecutionId ?? null,
      ParentTaskId: state.parentTaskId ?? null,
    };
    const prefix = `${state.instanceId}/state`;
    await this.inlineOrBlob(prefix, 'Input', state.input, row);
    await this.inlineOrBlob(prefix, 'Output', state.output, row);
    await this.inlineOrBlob(prefix, 'CustomStatus', state.customStatus, row);
    return row;
  }

  async listInstances(filter: ListFilter): Promise<{ items: InstanceState[]; continuationToken?: string }> {
    const parts: string[] = [];
    if (filter.createdTimeFrom) parts.push(odata`CreatedTime ge ${filter.createdTimeFrom}`);
    if (filter.createdTimeTo) parts.push(odata`CreatedTime le ${filter.createdTimeTo}`);
    if (filter.runtimeStatus && filter.runtimeStatus.length > 0) {
      parts.push(`(${filter.runtimeStatus.map((s) => odata`RuntimeStatus eq ${s}`).join(' or ')})`);
    }
    if (filter.instanceIdPrefix) {
      const p = filter.instanceIdPrefix;
      const last = p.charCodeAt(p.length - 1);
      const upper = p.slice(0, -1) + String.fromCharCode(last + 1);
      parts.push(odata`PartitionKey ge ${p} and PartitionKey lt ${upper}`);
    }
    const pageSize = Math.min(Math.max(filter.top ?? 100, 1), 1000);
    const pages = this.instances
      .listEntities<Record<string, unknown>>({
        queryOptions: parts.length > 0 ? { filter: parts.join(' and ') } : {},
      })
      .byPage({
        maxPageSize: pageSize,
        ...(filter.continuationToken ? { continuationToken: filter.continuationToken } : {}),
      });
    const next = await pages.next();
    if (next.done) return { items: [] };
    const items = await Promise.all(
      next.value.filter((r) => r.rowKey === '').map((r) => this.toInstance(r as Record<string, unknown>)),
    );
    const token = (next.value as { continuationToken?: string }).continuationToken;
    return token ? { items, continuationToken: token } : { items };
  }

  async deleteInstance(instanceId: string): Promise<void> {
    await this.instances.deleteEntity(instanceId, '').catch((e: unknown) => {
      if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    });
    await this.deleteHistory(instanceId);
    await this.deleteBlobsUnder(instanceId);
  }

  // ---- history --------------------------------------------------------------------------------------------

  private historyKey(executionId: string, seq: number): string {
    return `${executionId}:${String(seq).padStart(8, '0')}`;
  }

  async readHistory(instanceId: string, executionId: string): Promise<HistoryEvent[]> {
    const rows = this.history.listEntities<Record<string, unknown>>({
      queryOptions: {
        filter: odata`PartitionKey eq ${instanceId} and RowKey ge ${executionId + ':'} and RowKey lt ${executionId + ';'}`,
      },
    });
    const events: HistoryEvent[] = [];
    for await (const row of rows) {
      const text = await this.readField(row, 'Data');
      if (text === undefined) continue;
      events.push(JSON.parse(text) as HistoryEvent);
    }
    return events;
  }

  /** Appends events at positions `from`, `from+1`, … (batched: one transaction per 100 rows). */
  async appendHistory(instanceId: string, executionId: string, from: number, events: HistoryEvent[]): Promise<void> {
    const actions: TransactionAction[] = [];
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      if (!ev) continue;
      const row: TableEntity = { partitionKey: instanceId, rowKey: this.historyKey(executionId, from + i) };
      for (const f of HISTORY_FIELDS) row[f] = ev[f];
      if (ev.Name !== undefined) row['Name'] = ev.Name;
      await this.inlineOrBlob(`${instanceId}/history`, 'Data', JSON.stringify(ev), row);
      actions.push(['upsert', row, 'Replace']);
    }
    for (let i = 0; i < actions.length; i += 100) {
      await this.history.submitTransaction(actions.slice(i, i + 100));
    }
  }

  /** Deletes the history of every execution of the instance but `keepExecutionId`. */
  async deleteHistoryExcept(instanceId: string, keepExecutionId: string): Promise<void> {
    const keys: TransactionAction[] = [];
    const filter = odata`PartitionKey eq ${instanceId}`;
    for await (const r of this.history.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) {
      if (!(r.rowKey ?? '').startsWith(`${keepExecutionId}:`)) {
        keys.push(['delete', { partitionKey: instanceId, rowKey: r.rowKey ?? '' }]);
      }
    }
    for (let i = 0; i < keys.length; i += 100) await this.history.submitTransaction(keys.slice(i, i + 100));
  }

  async deleteHistory(instanceId: string, executionId?: string): Promise<void> {
    const filter = executionId
      ? odata`PartitionKey eq ${instanceId} and RowKey ge ${executionId + ':'} and RowKey lt ${executionId + ';'}`
      : odata`PartitionKey eq ${instanceId}`;
    const keys: TransactionAction[] = [];
    for await (const r of this.history.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) {
      keys.push(['delete', { partitionKey: instanceId, rowKey: r.rowKey ?? '' }]);
    }
    for (let i = 0; i < keys.length; i += 100) await this.history.submitTransaction(keys.slice(i, i + 100));
  }
}
