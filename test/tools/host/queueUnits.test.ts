import { RandomizedExponentialBackoff } from '../../../tools/host/queues/backoff';
import { decodeMessage, encodeMessage } from '../../../tools/host/queues/encoding';
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
