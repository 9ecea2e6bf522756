/**
 * Storage queues for the host: a listener per queue-trigger function and the `queue` output binding. Queue names
 * take `%Setting%` references and are lower-cased and validated as the host does (`NormalizeAndValidate`).
 * Output messages are encoded per `messageEncoding`; writing to a queue the host watches wakes its listener.
 */
import { QueueClient, QueueServiceClient } from '@azure/storage-queue';

import { HostConfigError } from '../errors';
import type { BindingMetadata, InvokeResult, RegisteredFunction, RpcTypedData } from '../extension';
import type { QueuesOptions } from '../hostJson';
import type { HostInvokeOptions } from '../invoke';
import type { Logger } from '../logger';
import type { HostFunction } from '../registry';
import { type Env, resolveSettingRefs } from '../settings';
import { toMessages } from '../typedData';
import { encodeMessage } from './encoding';
import { QueueListener } from './listener';
import { SharedQueueWatcher } from './watcher';

export interface QueueServiceOptions {
  logger: Logger;
  options: QueuesOptions;
  env: Env;
  /** The connection string for a binding's `connection` setting name. */
  connection(name: string | undefined): string;
  invoke(fn: HostFunction, data: RpcTypedData, options: HostInvokeOptions): Promise<InvokeResult>;
  /** How long received messages stay invisible while running (host: 10 minutes); tests shorten it. */
  leaseMs?: number;
}

const STORAGE_RETRY = { maxTries: 4, tryTimeoutInMs: 10_000, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 };

export const DEFAULT_MESSAGE_LEASE_MS = 10 * 60 * 1000;
const QUEUE_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
const POISON_SUFFIX = '-poison';

/** Lower-cases and validates a queue name (3-63 chars: letters, digits, single hyphens). */
export function normalizeQueueName(name: string, where: string): string {
  const lower = name.toLowerCase();
  if (!QUEUE_NAME.test(lower)) {
    throw new HostConfigError(
      `${where}: invalid queue name "${name}" (3-63 lower-case letters, digits and single hyphens).`,
    );
  }
  return lower;
}

/** `<queue>-poison`, or undefined when the queue is itself a poison queue or the name would be invalid. */
export function poisonQueueName(queueName: string): string | undefined {
  if (queueName.endsWith(POISON_SUFFIX)) return undefined;
  const name = queueName + POISON_SUFFIX;
  return QUEUE_NAME.test(name) ? name : undefined;
}

export class QueueService {
  readonly #o: QueueServiceOptions;
  readonly #functions: HostFunction[] = [];
  readonly #listeners: QueueListener[] = [];
  readonly #unregister: (() => void)[] = [];
  readonly #clients = new Map<string, QueueServiceClient>();
  readonly #created = new Set<string>();
  readonly watcher = new SharedQueueWatcher();
  readonly #names = new Map<HostFunction, string>();

  constructor(options: QueueServiceOptions) {
    this.#o = options;
  }

  addFunction(fn: HostFunction): void {
    const raw = fn.trigger.queueName;
    if (typeof raw !== 'string' || !raw)
      throw new HostConfigError(`Function "${fn.name}": queueTrigger needs a queueName.`);
    const name = normalizeQueueName(
      resolveSettingRefs(raw, this.#o.env, `Function "${fn.name}" queueName`),
      `Function "${fn.name}"`,
    );
    this.#names.set(fn, name);
    this.#functions.push(fn);
  }

  queueNameOf(fn: HostFunction): string | undefined {
    return this.#names.get(fn);
  }

  listeners(): readonly QueueListener[] {
    return this.#listeners;
  }

  #service(connectionName: string | undefined): QueueServiceClient {
    const conn = this.#o.connection(connectionName);
    let client = this.#clients.get(conn);
    if (!client) {
      // Short per-try timeouts and retry delays: Azurite under load sometimes leaves a request unanswered for many
      // seconds (seen in the host benchmark); a retry must not wait the SDK's default per-try timeout.
      client = QueueServiceClient.fromConnectionString(conn, { retryOptions: STORAGE_RETRY });
      this.#clients.set(conn, client);
    }
    return client;
  }

  #connectionName(binding: BindingMetadata): string | undefined {
    return typeof binding.connection === 'string' && binding.connection ? binding.connection : undefined;
  }

  async start(): Promise<void> {
    const q = this.#o.options;
    for (const fn of this.#functions) {
      const name = this.#names.get(fn)!;
      const service = this.#service(this.#connectionName(fn.trigger));
      const poisonName = poisonQueueName(name);
      const listener = new QueueListener({
        fn,
        queue: service.getQueueClient(name),
        poisonQueue: poisonName ? service.getQueueClient(poisonName) : undefined,
        batchSize: q.batchSize,
        newBatchThreshold: q.newBatchThreshold,
        maxPollingIntervalMs: q.maxPollingIntervalMs,
        visibilityTimeoutMs: q.visibilityTimeoutMs,
        maxDequeueCount: q.maxDequeueCount,
        messageEncoding: q.messageEncoding,
        leaseMs: this.#o.leaseMs ?? DEFAULT_MESSAGE_LEASE_MS,
        logger: this.#o.logger,
        invoke: (f, data, opts) => this.#o.invoke(f, data, opts),
        onPoisoned: (poison) => this.watcher.notify(poison),
      });
      this.#unregister.push(this.watcher.register(name, () => listener.notify()));
      this.#listeners.push(listener);
    }
    for (const listener of this.#listeners) listener.start();
  }

  async stop(): Promise<void> {
    for (const un of this.#unregister.splice(0)) un();
    await Promise.all(this.#listeners.map((l) => l.stop()));
  }

  /** The `queue` output binding: one message per value (an array gives one per element), created queue if missing. */
  async write(binding: BindingMetadata, data: RpcTypedData, fn: RegisteredFunction): Promise<void> {
    const raw = binding.queueName;
    if (typeof raw !== 'string' || !raw)
      throw new HostConfigError(`Function "${fn.name}": queue output "${binding.name}" needs a queueName.`);
    const name = normalizeQueueName(
      resolveSettingRefs(raw, this.#o.env, `Function "${fn.name}" queueName`),
      `Function "${fn.name}"`,
    );
    const messages = toMessages(data);
    if (messages.length === 0) return;
    const queue: QueueClient = this.#service(this.#connectionName(binding)).getQueueClient(name);
    const key = `${queue.accountName}/${name}@${queue.url}`;
    if (!this.#created.has(key)) {
      await queue.createIfNotExists();
      this.#created.add(key);
    }
    for (const message of messages) {
      await queue.sendMessage(encodeMessage(message, this.#o.options.messageEncoding));
    }
    this.watcher.notify(name);
  }
}
