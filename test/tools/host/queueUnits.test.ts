import { Logger } from '../../../tools/host/logger';
import { RandomizedExponentialBackoff } from '../../../tools/host/queues/backoff';
import { decodeMessage, encodeMessage } from '../../../tools/host/queues/encoding';
import { QueueListener } from '../../../tools/host/queues/listener';
import { normalizeQueueName, poisonQueueName } from '../../../tools/host/queues/service';
import { SharedQueueWatcher } from '../../../tools/host/queues/watcher';
import { toMessages } from '../../../tools/host/typedData';

describe('queue building blocks', () => {
  it('backs off exponentially with ±20% randomization up to the maximum, and resets after finding messages', () => {
    const mid = new RandomizedExponentialBackoff(100, 2000, () => 0.5);
    expect([false, false, false, false, false, false].map(() => mid.nextDelay(false))).toEqual([
      200, 300, 500, 900, 1700, 2000,
    ]);
    expect(mid.nextDelay(true)).toBe(100);
    expect(mid.nextDelay(false)).toBe(200);
    const low = new RandomizedExponentialBackoff(100, 60_000, () => 0);
    expect(low.nextDelay(false)).toBeCloseTo(180);
  });

  it('encodes base64 by default and decodes strictly', () => {
    expect(encodeMessage('{"a":1}', 'base64')).toBe(Buffer.from('{"a":1}').toString('base64'));
    expect(decodeMessage(encodeMessage('héllo', 'base64'), 'base64')).toBe('héllo');
    expect(decodeMessage('{"a":1}', 'base64')).toBeUndefined();
    expect(decodeMessage('abc', 'base64')).toBeUndefined();
    expect(decodeMessage('plain text', 'none')).toBe('plain text');
  });

  it('validates queue names and derives poison queue names', () => {
    expect(normalizeQueueName('GoLive-Requests', 'x')).toBe('golive-requests');
    expect(() => normalizeQueueName('a--b', 'x')).toThrow(/invalid queue name/);
    expect(poisonQueueName('golive-requests')).toBe('golive-requests-poison');
    expect(poisonQueueName('x-poison')).toBeUndefined();
    expect(poisonQueueName('a'.repeat(60))).toBeUndefined();
  });

  it('turns output values into messages: arrays one per element, objects as JSON', () => {
    expect(toMessages({ string: 'x' })).toEqual(['x']);
    expect(toMessages({ json: JSON.stringify([{ a: 1 }, 'b', 2, null]) })).toEqual(['{"a":1}', 'b', '2']);
    expect(toMessages({ json: JSON.stringify({ a: 1 }) })).toEqual(['{"a":1}']);
    expect(toMessages({ int: 5 })).toEqual(['5']);
  });

  it('wakes the listeners of a queue (case-insensitive) and only those', () => {
    const w = new SharedQueueWatcher();
    const woken: string[] = [];
    const off = w.register('Jobs', () => woken.push('jobs'));
    w.register('other', () => woken.push('other'));
    w.notify('jobs');
    off();
    w.notify('jobs');
    expect(woken).toEqual(['jobs']);
  });
});

describe('QueueListener polling', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('backs off while idle and polls at once when notified (the host writing to a watched queue)', async () => {
    jest.useFakeTimers();
    let receives = 0;
    const queue = {
      name: 'idle-q',
      exists: async () => true,
      receiveMessages: async () => {
        receives++;
        return { receivedMessageItems: [] };
      },
    };
    const listener = new QueueListener({
      fn: { name: 'f' } as never,
      queue: queue as never,
      poisonQueue: undefined,
      batchSize: 16,
      newBatchThreshold: 8,
      maxPollingIntervalMs: 60_000,
      visibilityTimeoutMs: 0,
      maxDequeueCount: 5,
      messageEncoding: 'base64',
      leaseMs: 600_000,
      logger: new Logger({}, () => undefined),
      invoke: async () => ({ invocationId: 'x', outputData: [] }),
      onPoisoned: () => undefined,
    });
    listener.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(receives).toBe(1);
    // Idle for a minute: the back-off grows, so far fewer polls than one per 100 ms.
    await jest.advanceTimersByTimeAsync(60_000);
    const afterIdle = receives;
    expect(afterIdle).toBeGreaterThan(3);
    expect(afterIdle).toBeLessThan(20);
    // No time passes: only the notification can cause the next poll.
    listener.notify();
    await jest.advanceTimersByTimeAsync(0);
    expect(receives).toBe(afterIdle + 1);
    const stopped = listener.stop();
    await jest.advanceTimersByTimeAsync(0);
    await stopped;
  });
});
