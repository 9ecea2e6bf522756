/**
 * The Event Grid activity's reporting (golive/eventSinks.ts) against the local Event Grid endpoint: what is logged
 * at which level, what goes to Application Insights, and never the token.
 */
import { readFileSync } from 'node:fs';

import { Agent } from 'undici';

import { type AnyCloudEvent, EventGridPublisher } from '../../../src/events/eventGrid';
import { EVENTGRID_GAVE_UP_EVENT, EVENTGRID_PUBLISH_FAILED_EVENT } from '../../../src/events/names';
import { GoLiveTelemetry, MemoryTelemetrySink } from '../../../src/events/telemetry';
import type { PublishEventGridInput } from '../../../src/golive/contracts';
import { publishToEventGrid } from '../../../src/golive/eventSinks';
import { StaticTokenCredential } from '../../../src/partner/credential';
import { type RunningEventGridEndpoint, startEventGridEndpoint } from '../../../tools/eventgrid';

let endpoint: RunningEventGridEndpoint;
let agent: Agent;
let publisher: EventGridPublisher;

beforeAll(async () => {
  endpoint = await startEventGridEndpoint();
  agent = new Agent({ connect: { ca: readFileSync(endpoint.caPath) } });
  publisher = new EventGridPublisher(endpoint.url, new StaticTokenCredential(endpoint.token), { dispatcher: agent });
});
afterAll(async () => {
  await agent.close();
  await endpoint.close();
});
beforeEach(() => endpoint.reset());

const event: AnyCloudEvent = {
  specversion: '1.0',
  type: 'golive.succeeded',
  source: '/publishers/p/offers/o',
  subject: 'publishers/p/offers/o',
  id: 'golive-run-1',
  time: '2026-01-01T00:00:00.000Z',
  datacontenttype: 'application/json',
  data: {},
};

function input(overrides: Partial<PublishEventGridInput> = {}): PublishEventGridInput {
  return {
    events: [event],
    runId: 'run-1',
    target: { publisherId: 'p', offerId: 'o' },
    attempt: 1,
    lastAttempt: false,
    giveUpAt: '2026-01-02T00:00:00.000Z',
    ...overrides,
  };
}

function deps() {
  const sink = new MemoryTelemetrySink();
  const logs: { message: string; level: string }[] = [];
  return {
    sink,
    logs,
    deps: {
      eventGrid: () => publisher,
      telemetry: new GoLiveTelemetry(sink),
      log: (message: string, level: 'info' | 'warn' | 'error') => logs.push({ message, level }),
    },
  };
}

describe('publishToEventGrid', () => {
  it('is disabled without a topic, published when the topic takes the events', async () => {
    const d = deps();
    expect(await publishToEventGrid(input(), { ...d.deps, eventGrid: () => undefined })).toEqual({ kind: 'disabled' });
    expect(await publishToEventGrid(input(), d.deps)).toEqual({ kind: 'published', count: 1 });
    expect(d.sink.events).toEqual([]);
  });

  it.each([401, 403] as const)(
    'a %i is logged at error and sent to Application Insights, and retried',
    async (status) => {
      endpoint.script(status);
      const d = deps();
      const result = await publishToEventGrid(input(), d.deps);
      expect(result).toMatchObject({ kind: 'failed', gaveUp: false, error: { statusCode: status, auth: true } });
      expect(d.logs).toEqual([{ level: 'error', message: expect.stringContaining(`Event Grid answered ${status}`) }]);
      expect(d.logs[0]!.message).toContain('retrying until 2026-01-02T00:00:00.000Z');
      expect(d.sink.events).toEqual([
        {
          name: EVENTGRID_PUBLISH_FAILED_EVENT,
          properties: expect.objectContaining({ statusCode: String(status), runId: 'run-1', publisherId: 'p' }),
        },
      ]);
      expect(JSON.stringify([d.logs, d.sink.events, result])).not.toContain(endpoint.token);
    },
  );

  it('a 500 is a warning; on the last attempt it is the give-up event (alerted) and an error', async () => {
    endpoint.script(500, 500);
    const first = deps();
    await publishToEventGrid(input(), first.deps);
    expect(first.logs.map((l) => l.level)).toEqual(['warn']);
    const last = deps();
    const result = await publishToEventGrid(input({ lastAttempt: true, attempt: 9 }), last.deps);
    expect(result).toMatchObject({ kind: 'failed', gaveUp: true });
    expect(last.logs).toEqual([{ level: 'error', message: expect.stringContaining('giving up on golive-run-1') }]);
    expect(last.sink.events.map((e) => e.name)).toEqual([EVENTGRID_PUBLISH_FAILED_EVENT, EVENTGRID_GAVE_UP_EVENT]);
    expect(last.sink.events[1]!.properties).toMatchObject({
      eventIds: 'golive-run-1',
      attempts: '9',
      statusCode: '500',
    });
  });
});
