import { joinNeedsResend } from '../../../src/golive/run/membership';
import { type InstanceStatus, readRun, type RunSettings } from '../../../src/golive/run/record';
import { JoinNotConfirmedError, type RunClient, startOrJoin } from '../../../src/golive/startOrJoin';

const settings: RunSettings = {
  pollIntervalSeconds: 60,
  pollMaxIntervalSeconds: 600,
  deadlineMinutes: 120,
  pollsPerHistory: 2,
  maxSubmitAttempts: 5,
};
const ID = 'golive:contoso:resend';
const request = { publisherId: 'contoso', offerId: 'resend', requestId: 'req-late', api: 'cpp' as const };

function running(generation: number, requestIds: string[]): InstanceStatus {
  return {
    instanceId: ID,
    runtimeStatus: 'Running',
    input: {
      runId: 'run-a',
      runNumber: 1,
      target: { api: 'cpp', publisherId: 'contoso', offerId: 'resend' },
      requests: [{ requestId: 'req-1', receivedAt: '2026-01-01T00:00:00.000Z' }],
      previousRuns: [],
      ...(generation > 0 ? { generation } : {}),
    },
    customStatus: { runId: 'run-a', requestIds: ['req-1', ...requestIds] },
  };
}

/**
 * A run that continues as new right after the first raise reaches it: that event is dropped with generation 0 (as
 * the SDK does), and only an event raised to generation 1 is taken.
 */
class ContinuingRun implements RunClient {
  status = running(0, []);
  raises: number[] = [];
  async getStatus() {
    return structuredClone(this.status);
  }
  async startNew(): Promise<string> {
    throw new Error('no start expected');
  }
  async raiseEvent(_id: string, _name: string, data: unknown) {
    const generation = readRun(this.status)!.generation;
    this.raises.push(generation);
    if (generation === 0) this.status = running(1, []);
    else this.status = running(generation, [(data as { requestId: string }).requestId]);
  }
}

describe('a join dropped when the run continues as new', () => {
  it('is raised again to the next generation and confirmed, instead of waiting for the queue retry', async () => {
    const client = new ContinuingRun();
    const outcome = await startOrJoin(request, {
      client,
      settings,
      sleep: async () => undefined,
      joinConfirmMs: 5_000,
    });
    expect(outcome).toMatchObject({ kind: 'joined', runId: 'run-a' });
    expect(client.raises).toEqual([0, 1]);
  });

  it('joinNeedsResend: only for an active run in a later generation that does not show the request', () => {
    const read = (status: InstanceStatus) => readRun(status)!;
    expect(joinNeedsResend(0, read(running(1, [])), 'req-late')).toBe(true);
    expect(joinNeedsResend(1, read(running(1, [])), 'req-late')).toBe(false);
    expect(joinNeedsResend(0, read(running(1, ['req-late'])), 'req-late')).toBe(false);
    expect(joinNeedsResend(0, read({ ...running(1, []), runtimeStatus: 'Completed' }), 'req-late')).toBe(false);
  });

  it('a run that neither shows the request nor continues still ends in JoinNotConfirmed (the queue retries)', async () => {
    const client = new ContinuingRun();
    client.raiseEvent = async () => {
      client.raises.push(0);
    };
    await expect(
      startOrJoin(request, { client, settings, sleep: async () => undefined, joinConfirmMs: 1_000 }),
    ).rejects.toBeInstanceOf(JoinNotConfirmedError);
    expect(client.raises).toEqual([0]);
  });
});
