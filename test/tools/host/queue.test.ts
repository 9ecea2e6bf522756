import path from 'node:path';

import { type FunctionsHost, type HostOptions, startHost } from '../../../tools/host/host';
import type { LogEntry } from '../../../tools/host/logger';
import { encodeMessage } from '../../../tools/host/queues/encoding';
import { enqueue, peekAll, queueClient, type RunningAzurite, startAzurite } from '../../support/azurite';
import { waitFor } from '../../support/wait';

const appDir = path.resolve(__dirname, '../../fixtures/host-app');

interface Call {
  kind: string;
  fn?: string;
  id?: string;
  message?: unknown;
  messageType?: string;
  triggerMetadata?: Record<string, unknown>;
}

describe('local host: storage queue trigger and queue outputs (Azurite)', () => {
  let azurite: RunningAzurite;
  let host: FunctionsHost | undefined;
  let logs: LogEntry[] = [];
  let n = 0;

  beforeAll(async () => {
    azurite = await startAzurite({ inMemory: true });
  });

  afterAll(async () => {
    await azurite?.close();
  });

  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  /** Starts the fixture on fresh queue names; returns them. */
  async function start(overrides: Partial<HostOptions> = {}, queues: Record<string, unknown> = {}) {
    n++;
    const work = `work-${n}-${Date.now() % 100000}`;
    const out = `out-${n}-${Date.now() % 100000}`;
    logs = [];
    host = await startHost({
      appDir,
      port: 0,
      extensions: [],
      env: { AzureWebJobsStorage: azurite.connectionString, FIXTURE_WORK_QUEUE: work, FIXTURE_OUT_QUEUE: out },
      hostJson: {
        extensions: { queues: { maxPollingInterval: '00:00:00.200', visibilityTimeout: '00:00:00', ...queues } },
      },
      logSink: (_line, entry) => logs.push(entry),
      ...overrides,
    });
    return { work, out };
  }

  async function calls(kind = 'queue'): Promise<Call[]> {
    const res = await fetch(`${host!.baseUrl}/api/_calls`);
    return ((await res.json()) as Call[]).filter((c) => c.kind === kind);
  }

  it('handles a base64 JSON message exactly once, as an object, with trigger metadata, then deletes it', async () => {
    const { work } = await start();
    const id = await enqueue(azurite.connectionString, work, { tag: 'once' });
    const [call] = await waitFor(async () => ((await calls()).length ? calls() : undefined), { what: 'invocation' });
    expect(call!.messageType).toBe('object');
    expect(call!.message).toEqual({ tag: 'once' });
    const md = call!.triggerMetadata!;
    expect(md.id).toBe(id);
    expect(md.dequeueCount).toBe(1);
    expect(md.queueTrigger).toEqual({ tag: 'once' });
    expect(typeof md.popReceipt).toBe('string');
    for (const k of ['insertionTime', 'expirationTime', 'nextVisibleTime']) {
      expect(Number.isNaN(Date.parse(String(md[k])))).toBe(false);
    }
    await waitFor(
      async () => (await queueClient(azurite.connectionString, work).getProperties()).approximateMessagesCount === 0,
      {
        what: 'message deleted',
      },
    );
    // Give the listener a few more polls: no second delivery.
    await new Promise((r) => setTimeout(r, 800));
    expect(await calls()).toHaveLength(1);
  });

  it('retries a throwing function and moves the ORIGINAL stored text to <queue>-poison after maxDequeueCount', async () => {
    const { work } = await start({}, { maxDequeueCount: 3 });
    const body = { tag: 'bad', fail: true };
    await enqueue(azurite.connectionString, work, body);
    // The text as stored (base64), known from what was sent: a peek could miss it while the listener holds it.
    const stored = encodeMessage(JSON.stringify(body), 'base64');
    const poison = await waitFor(
      async () => {
        const msgs = await peekAll(azurite.connectionString, `${work}-poison`, 'raw');
        return msgs.length ? msgs : undefined;
      },
      { what: 'poison message' },
    );
    expect(poison).toEqual([stored]);
    const attempts = await calls();
    expect(attempts.map((c) => (c.triggerMetadata as { dequeueCount: number }).dequeueCount)).toEqual([1, 2, 3]);
    expect(
      logs.some((l) => l.message.includes('Message has reached MaxDequeueCount of 3. Moving message to queue')),
    ).toBe(true);
    expect(await peekAll(azurite.connectionString, work)).toEqual([]);
  });

  it('keeps a failed message invisible for visibilityTimeout before the retry', async () => {
    const { work } = await start({}, { maxDequeueCount: 2, visibilityTimeout: '00:00:02' });
    await enqueue(azurite.connectionString, work, { tag: 'vis', fail: true });
    await waitFor(async () => ((await calls()).length === 1 ? true : undefined), { what: 'first attempt' });
    // Right after the failure the message exists but is invisible: a peek sees nothing.
    await new Promise((r) => setTimeout(r, 300));
    expect(await peekAll(azurite.connectionString, work)).toEqual([]);
    expect((await queueClient(azurite.connectionString, work).getProperties()).approximateMessagesCount).toBe(1);
    await waitFor(async () => ((await calls()).length === 2 ? true : undefined), { what: 'second attempt' });
    const [a, b] = await calls();
    expect(Date.parse(String((b!.triggerMetadata as { insertionTime: string }).insertionTime))).toBeGreaterThan(0);
    expect((a!.triggerMetadata as { dequeueCount: number }).dequeueCount).toBe(1);
    expect((b!.triggerMetadata as { dequeueCount: number }).dequeueCount).toBe(2);
  });

  it('moves a message that arrives with dequeueCount > maxDequeueCount to poison without invoking', async () => {
    const { work } = await start({}, { maxDequeueCount: 1 });
    await host!.stop();
    host = undefined;
    // Raise the dequeue count by receiving it twice outside the host.
    await enqueue(azurite.connectionString, work, { tag: 'old' });
    const q = queueClient(azurite.connectionString, work);
    for (let i = 0; i < 2; i++) {
      const r = await q.receiveMessages({ visibilityTimeout: 1 });
      await q.updateMessage(r.receivedMessageItems[0]!.messageId, r.receivedMessageItems[0]!.popReceipt, undefined, 0);
    }
    host = await startHost({
      appDir,
      port: 0,
      extensions: [],
      env: { AzureWebJobsStorage: azurite.connectionString, FIXTURE_WORK_QUEUE: work, FIXTURE_OUT_QUEUE: 'unused-out' },
      hostJson: { extensions: { queues: { maxPollingInterval: '00:00:00.200', maxDequeueCount: 1 } } },
      logSink: () => undefined,
    });
    await waitFor(async () => ((await peekAll(azurite.connectionString, `${work}-poison`)).length ? true : undefined));
    expect(await peekAll(azurite.connectionString, `${work}-poison`)).toEqual([JSON.stringify({ tag: 'old' })]);
    expect(await calls()).toEqual([]);
  });

  it('moves a message that is not valid base64 straight to poison, with its text unchanged', async () => {
    const { work } = await start();
    await enqueue(azurite.connectionString, work, '{"tag":"plain"}', 'none');
    const poison = await waitFor(async () => {
      const msgs = await peekAll(azurite.connectionString, `${work}-poison`, 'raw');
      return msgs.length ? msgs : undefined;
    });
    expect(poison).toEqual(['{"tag":"plain"}']);
    expect(await calls()).toEqual([]);
    expect(logs.some((l) => l.message.startsWith('Message decoding has failed! Check MessageEncoding settings.'))).toBe(
      true,
    );
  });

  it('with messageEncoding none: reads plain text and writes plain text outputs; a non-JSON body arrives as a string', async () => {
    const { work, out } = await start({}, { messageEncoding: 'none' });
    await enqueue(azurite.connectionString, work, 'just text', 'none');
    await enqueue(azurite.connectionString, work, { tag: 'fwd', forward: { hello: 'out' } }, 'none');
    const outMsgs = await waitFor(async () => {
      const msgs = await peekAll(azurite.connectionString, out, 'raw');
      return msgs.length ? msgs : undefined;
    });
    expect(outMsgs).toEqual(['{"hello":"out"}']);
    const got = await waitFor(async () => ((await calls()).length === 2 ? calls() : undefined));
    const text = got.find((c) => c.messageType === 'string');
    expect(text?.message).toBe('just text');
  });

  it('writes return and extraOutputs queue bindings (base64; an array becomes one message per element)', async () => {
    const { work, out } = await start();
    await enqueue(azurite.connectionString, work, { tag: 'ret', forward: 'forwarded text' });
    const res = await fetch(`${host!.baseUrl}/api/to-queue`, {
      method: 'POST',
      body: JSON.stringify([{ a: 1 }, 'two', 3]),
    });
    expect(res.status).toBe(202);
    const msgs = await waitFor(async () => {
      const m = await peekAll(azurite.connectionString, out);
      return m.length >= 4 ? m : undefined;
    });
    expect(msgs.sort()).toEqual(['3', 'forwarded text', 'two', '{"a":1}'].sort());
  });

  it('polls a watched queue at once when an output binding writes to it', async () => {
    // The work queue's output goes to the same queue: a chain of forwards.
    n++;
    const q = `chain-${n}-${Date.now() % 100000}`;
    host = await startHost({
      appDir,
      port: 0,
      extensions: [],
      env: { AzureWebJobsStorage: azurite.connectionString, FIXTURE_WORK_QUEUE: q, FIXTURE_OUT_QUEUE: q },
      // A long idle back-off: only the host's own notification can make the second message run soon.
      hostJson: { extensions: { queues: { maxPollingInterval: '00:01:00' } } },
      logSink: () => undefined,
    });
    await enqueue(azurite.connectionString, q, { tag: 'first', forward: { tag: 'second' } });
    const got = await waitFor(async () => ((await calls()).length >= 2 ? calls() : undefined), { timeoutMs: 20_000 });
    expect(got.map((c) => (c.message as { tag: string }).tag)).toEqual(['first', 'second']);
  });

  it('renews the visibility of a message whose function runs longer than the lease (no second delivery)', async () => {
    // A 3 s lease renewed every 1.5 s; the function runs 5 s, longer than the lease.
    const { work } = await start({ queueMessageLeaseMs: 3000 });
    await enqueue(azurite.connectionString, work, { tag: 'long', sleepMs: 5000 });
    await waitFor(
      async () =>
        (await queueClient(azurite.connectionString, work).getProperties()).approximateMessagesCount === 0 || undefined,
      {
        what: 'message deleted',
      },
    );
    expect(await calls()).toHaveLength(1);
  });

  it('runs a queue function by hand through POST /admin/functions/{name}', async () => {
    await start();
    const res = await fetch(`${host!.baseUrl}/admin/functions/work`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: JSON.stringify({ tag: 'admin' }) }),
    });
    expect(res.status).toBe(202);
    const [call] = await waitFor(async () => ((await calls()).length ? calls() : undefined));
    expect(call!.message).toEqual({ tag: 'admin' });
    expect((await fetch(`${host!.baseUrl}/admin/functions/hello`, { method: 'POST' })).status).toBe(404);
  });

  it('runs up to batchSize + newBatchThreshold messages at once', async () => {
    const { work } = await start({}, { batchSize: 2, newBatchThreshold: 1 });
    for (let i = 0; i < 6; i++) await enqueue(azurite.connectionString, work, { tag: `c${i}`, sleepMs: 600 });
    await waitFor(async () => ((await calls()).length === 6 ? true : undefined), { timeoutMs: 20_000 });
    // Reconstruct concurrency from the hook log: preInvocation..postInvocation intervals.
    const res = await fetch(`${host!.baseUrl}/api/_calls`);
    const hooks = ((await res.json()) as { hook?: string; fn?: string }[]).filter((h) => h.fn === 'work');
    let running = 0;
    let peak = 0;
    for (const h of hooks) {
      if (h.hook === 'preInvocation') peak = Math.max(peak, ++running);
      if (h.hook === 'postInvocation') running--;
    }
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(3);
  });
});
