/**
 * One queue-trigger function's listener, as the host's queue listener and processor behave (azure-sdk-for-net
 * `Microsoft.Azure.WebJobs.Extensions.Storage.Queues`: `Listeners/QueueListener.cs`, `QueueProcessor.cs`):
 *
 * - Poll: receive up to `batchSize` messages, invisible for 10 minutes; the invisibility is renewed halfway while
 *   the function runs. After a poll that found messages, poll again once in-flight work is at most
 *   `newBatchThreshold`; after an empty poll, wait a randomized exponential back-off up to `maxPollingInterval`
 *   (cut short when the host itself adds a message to this queue).
 * - A missing queue counts as empty (the trigger queue is not created by the listener).
 * - Message arrives with dequeueCount > maxDequeueCount: straight to `<queue>-poison`, no invocation.
 * - Success: delete. Failure: dequeueCount ≥ maxDequeueCount → `<queue>-poison` with the original stored text, else
 *   visible again after `visibilityTimeout`. No poison queue (name ends in `-poison` or would be too long): the
 *   message is left invisible after a failure.
 * - Base64 decode failure: warning and straight to poison (`QueueServiceClientProvider.cs` decoding-failed handler).
 */
import { randomUUID } from 'node:crypto';

import type { QueueClient, ReceivedMessageItem } from '@azure/storage-queue';

import type { InvokeResult, RpcTypedData } from '../extension';
import type { HostInvokeOptions } from '../invoke';
import type { Logger } from '../logger';
import type { HostFunction } from '../registry';
import { MINIMUM_POLLING_INTERVAL_MS, RandomizedExponentialBackoff } from './backoff';
import { decodeMessage, type MessageEncoding } from './encoding';

export interface QueueListenerOptions {
  fn: HostFunction;
  queue: QueueClient;
  /** The poison queue, or undefined when the queue cannot have one. */
  poisonQueue: QueueClient | undefined;
  batchSize: number;
  newBatchThreshold: number;
  maxPollingIntervalMs: number;
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
  messageEncoding: MessageEncoding;
  /** How long a received message stays invisible while it runs (host: 10 minutes). */
  leaseMs: number;
  logger: Logger;
  invoke(fn: HostFunction, data: RpcTypedData, options: HostInvokeOptions): Promise<InvokeResult>;
  /** Called after a message was added to the poison queue (wakes its listeners). */
  onPoisoned(poisonQueueName: string): void;
}

const CATEGORY = 'Host.Triggers.Queue';

function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

function iso(date: Date | undefined, fallback: Date): string {
  return (date ?? fallback).toISOString();
}

/** Trigger metadata as the queue extension binds it (`QueueTriggerBindingDataProvider`); the library camel-cases it. */
export function queueTriggerMetadata(
  message: ReceivedMessageItem,
  body: string,
  methodName: string,
): Record<string, RpcTypedData> {
  const now = new Date();
  return {
    QueueTrigger: { string: body },
    DequeueCount: { json: String(message.dequeueCount) },
    ExpirationTime: { json: JSON.stringify(iso(message.expiresOn, new Date('9999-12-31T23:59:59.999Z'))) },
    Id: { string: message.messageId },
    InsertionTime: { json: JSON.stringify(iso(message.insertedOn, now)) },
    NextVisibleTime: { json: JSON.stringify(iso(message.nextVisibleOn, now)) },
    PopReceipt: { string: message.popReceipt },
    sys: { json: JSON.stringify({ MethodName: methodName, UtcNow: now.toISOString(), RandGuid: randomUUID() }) },
  };
}

export class QueueListener {
  readonly #o: QueueListenerOptions;
  readonly #backoff: RandomizedExponentialBackoff;
  readonly #processing = new Set<Promise<void>>();
  #queueExists: boolean | undefined;
  #foundSinceLastDelay = false;
  #wake: (() => void) | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;
  /** Messages handled (deleted after success), failed invocations, and poison moves, for diagnostics. */
  readonly stats = { succeeded: 0, failed: 0, poisoned: 0, polls: 0 };

  constructor(options: QueueListenerOptions) {
    this.#o = options;
    this.#backoff = new RandomizedExponentialBackoff(MINIMUM_POLLING_INTERVAL_MS, options.maxPollingIntervalMs);
  }

  get queueName(): string {
    return this.#o.queue.name;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Ends the current back-off wait so the queue is polled at once. */
  notify(): void {
    this.#wake?.();
  }

  /** Stops polling and waits for in-flight messages to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled([...this.#processing]);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let found = false;
      try {
        found = await this.#poll();
      } catch (err) {
        this.#queueExists = undefined;
        const status = statusOf(err);
        if (status !== 404) {
          this.#o.logger.log(
            'warning',
            CATEGORY,
            `Polling queue '${this.queueName}' failed: ${(err as Error)?.message ?? String(err)}`,
          );
        }
      }
      if (this.#stopped) break;
      if (found) {
        this.#foundSinceLastDelay = true;
        await this.#waitForNewBatchThreshold();
      } else {
        await this.#delayWithNotification();
      }
    }
  }

  async #poll(): Promise<boolean> {
    const { queue } = this.#o;
    if (!this.#queueExists) this.#queueExists = await queue.exists();
    if (!this.#queueExists) return false;
    this.stats.polls++;
    const started = Date.now();
    const response = await queue.receiveMessages({
      numberOfMessages: this.#o.batchSize,
      visibilityTimeout: Math.max(1, Math.round(this.#o.leaseMs / 1000)),
    });
    const items = response.receivedMessageItems;
    // The host's QueueListener logs each poll (GetMessages) at debug level.
    this.#o.logger.log(
      'debug',
      CATEGORY,
      `Poll of queue '${this.queueName}' for function '${this.#o.fn.name}' found ${items.length} messages in ${Date.now() - started} ms.`,
    );
    for (const message of items) {
      const task = this.#process(message).catch((err: unknown) => {
        this.#o.logger.log(
          'error',
          CATEGORY,
          `Unhandled error processing message ${message.messageId}: ${String(err)}`,
        );
      });
      this.#processing.add(task);
      void task.finally(() => this.#processing.delete(task));
    }
    return items.length > 0;
  }

  async #waitForNewBatchThreshold(): Promise<void> {
    while (this.#processing.size > this.#o.newBatchThreshold && !this.#stopped) {
      await Promise.race(this.#processing);
    }
  }

  async #delayWithNotification(): Promise<void> {
    const delay = this.#backoff.nextDelay(this.#foundSinceLastDelay);
    this.#foundSinceLastDelay = false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, delay);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
  }

  async #process(received: ReceivedMessageItem): Promise<void> {
    const o = this.#o;
    let message = received;
    // QueueProcessor.BeginProcessingMessageAsync: already past the limit → poison, no invocation.
    if (message.dequeueCount > o.maxDequeueCount) {
      await this.#poison(message);
      return;
    }
    const body = decodeMessage(message.messageText, o.messageEncoding);
    if (body === undefined) {
      o.logger.log(
        'warning',
        CATEGORY,
        `Message decoding has failed! Check MessageEncoding settings. MessageId=${message.messageId}.`,
      );
      await this.#poison(message, false);
      return;
    }

    const renewal = this.#renewWhileRunning(
      () => message,
      (m) => (message = m),
    );
    let succeeded = false;
    try {
      await o.invoke(
        o.fn,
        { string: body },
        {
          triggerMetadata: queueTriggerMetadata(message, body, `Functions.${o.fn.name}`),
          reason: `New queue message detected on '${this.queueName}'.`,
        },
      );
      succeeded = true;
    } catch {
      // The invocation logged its failure.
    } finally {
      await renewal.stop();
    }

    try {
      if (succeeded) {
        this.stats.succeeded++;
        await o.queue.deleteMessage(message.messageId, message.popReceipt);
      } else {
        this.stats.failed++;
        if (!o.poisonQueue) {
          // No poison queue: leave the message invisible so that a failing message does not spin (QueueProcessor).
        } else if (message.dequeueCount >= o.maxDequeueCount) {
          await this.#poison(message);
        } else {
          await o.queue.updateMessage(
            message.messageId,
            message.popReceipt,
            undefined,
            Math.round(o.visibilityTimeoutMs / 1000),
          );
        }
      }
    } catch (err) {
      o.logger.log(
        'warning',
        CATEGORY,
        `Completing message ${message.messageId} on '${this.queueName}' failed: ${(err as Error)?.message ?? String(err)}`,
      );
    }
  }

  /** Renews the message's invisibility halfway through its lease while the function runs. */
  #renewWhileRunning(get: () => ReceivedMessageItem, set: (m: ReceivedMessageItem) => void): { stop(): Promise<void> } {
    const { queue, leaseMs, logger } = this.#o;
    const leaseSeconds = Math.max(1, Math.round(leaseMs / 1000));
    let inFlight: Promise<void> = Promise.resolve();
    const timer = setInterval(
      () => {
        inFlight = inFlight.then(async () => {
          const current = get();
          try {
            const r = await queue.updateMessage(current.messageId, current.popReceipt, undefined, leaseSeconds);
            if (r.popReceipt)
              set({ ...current, popReceipt: r.popReceipt, nextVisibleOn: r.nextVisibleOn ?? current.nextVisibleOn });
          } catch (err) {
            logger.log(
              'warning',
              CATEGORY,
              `Renewing visibility of message ${current.messageId} failed: ${(err as Error)?.message ?? String(err)}`,
            );
          }
        });
      },
      Math.max(250, (leaseSeconds * 1000) / 2),
    );
    return {
      async stop(): Promise<void> {
        clearInterval(timer);
        await inFlight;
      },
    };
  }

  /** Copies the stored text to the poison queue (created if missing) and deletes the original. */
  async #poison(message: ReceivedMessageItem, logLimit = true): Promise<void> {
    const o = this.#o;
    const poison = o.poisonQueue;
    if (!poison) return;
    if (logLimit) {
      o.logger.log(
        'warning',
        CATEGORY,
        `Message has reached MaxDequeueCount of ${o.maxDequeueCount}. Moving message to queue '${poison.name}'.`,
      );
    } else {
      o.logger.log('warning', CATEGORY, `Moving message ${message.messageId} to queue '${poison.name}'.`);
    }
    await poison.createIfNotExists();
    await poison.sendMessage(message.messageText);
    await o.queue.deleteMessage(message.messageId, message.popReceipt);
    this.stats.poisoned++;
    o.onPoisoned(poison.name);
  }
}
