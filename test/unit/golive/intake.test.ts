import { intake, queueMessage } from '../../../src/golive/intake';
import type { InstanceStatus } from '../../../src/golive/run/record';
import type { RunInput } from '../../../src/golive/run/record';
import type { RunClient } from '../../../src/golive/startOrJoin';

const settings = {
  pollIntervalSeconds: 60,
  pollMaxIntervalSeconds: 600,
  deadlineMinutes: 60,
  pollsPerHistory: 10,
  maxSubmitAttempts: 3,
};

function client(): RunClient & { started: RunInput[] } {
  const started: RunInput[] = [];
  let status: InstanceStatus | undefined;
  return {
    started,
    getStatus: async () => status,
    startNew: async (_name, { instanceId, input }) => {
      started.push(input as RunInput);
      status = { instanceId, runtimeStatus: 'Pending', input };
      return instanceId;
    },
    raiseEvent: async () => undefined,
  };
}

describe('queueMessage', () => {
  it('prefers the raw text and id from trigger metadata', () => {
    expect(queueMessage({ a: 1 }, { queueTrigger: '{"a":1 }', id: 'm-1' }, 'inv')).toEqual({
      text: '{"a":1 }',
      messageId: 'm-1',
    });
    expect(queueMessage({ a: 1 }, { queueTrigger: { a: 1 } }, 'inv')).toEqual({ text: '{"a":1}', messageId: 'inv' });
    expect(queueMessage('plain', undefined, 'inv')).toEqual({ text: 'plain', messageId: 'inv' });
  });
});

describe('intake', () => {
  it('starts a run for a valid request, with the message id as request id', async () => {
    const c = client();
    const r = await intake('{"publisherId":"contoso","offerId":"app"}', 'msg-1', {
      client: c,
      settings,
      defaultApi: 'cpp',
    });
    expect(r).toMatchObject({ kind: 'accepted', request: { requestId: 'msg-1' }, outcome: { kind: 'started' } });
    expect(c.started).toHaveLength(1);
  });

  it('treats a redelivery of the same message as a duplicate', async () => {
    const c = client();
    await intake('{"publisherId":"contoso","offerId":"app"}', 'msg-1', { client: c, settings, defaultApi: 'cpp' });
    const again = await intake('{"publisherId":"contoso","offerId":"app"}', 'msg-1', {
      client: c,
      settings,
      defaultApi: 'cpp',
    });
    expect(again).toMatchObject({ kind: 'accepted', outcome: { kind: 'duplicate' } });
    expect(c.started).toHaveLength(1);
  });

  it('rejects an invalid message with a record and a golive.rejected event, touching no run', async () => {
    const c = client();
    const now = () => new Date('2026-01-01T00:00:00Z');
    const r = await intake('{"publisherId":"contoso"}', 'msg-2', { client: c, settings, defaultApi: 'cpp', now });
    expect(r.kind).toBe('rejected');
    if (r.kind !== 'rejected') return;
    expect(r.record).toEqual({
      originalText: '{"publisherId":"contoso"}',
      reason: 'offerId is required',
      rejectedAt: '2026-01-01T00:00:00.000Z',
      messageId: 'msg-2',
    });
    expect(r.event).toMatchObject({ type: 'golive.rejected', id: 'golive-rejected-msg-2', source: '/golive/requests' });
    expect(c.started).toHaveLength(0);
  });
});
