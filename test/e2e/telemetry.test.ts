/**
 * Telemetry where it leaves the process: the BUILT app in the local Functions host (child process, as `npm start`
 * runs it) sends to a local HTTPS Application Insights ingestion endpoint (`test/support/ingestion.ts`) while one
 * go-live runs against the partner API simulator, whose first answer about the offer is a 503. After the host stops
 * (SIGTERM: appTerminate flushes), the test reads the envelopes the exporter sent: the request item of every
 * invocation, a dependency for each partner call (the 503 and its retry marked), the custom events and metrics with
 * their dimensions, one operation id per invocation, `golive.runId` on every item of the run, no secret anywhere, and
 * what the alert queries (infra/app/alerts.bicep) read.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { CloudEvent } from '../../src/events/cloudEvent';
import {
  DURATION_METRIC,
  PARTNER_API_ERROR_EVENT,
  POLL_COUNT_METRIC,
  STATE_CHANGED_EVENT,
} from '../../src/events/names';
import type { CompletionData } from '../../src/golive/completionEvent';
import { ORCHESTRATOR_NAME } from '../../src/golive/contracts';
import { type RunningSimulator, startSimulator } from '../../tools/simulator';
import { enqueue, peekAll, type RunningAzurite, startAzurite } from '../support/azurite';
import { type HostChild, spawnHostChild, testAppSettings } from '../support/hostProcess';
import { type Envelope, type RunningIngestion, startIngestion } from '../support/ingestion';
import { waitFor } from '../support/wait';
import { evaluate, isPlainObject, text } from '../unit/infra/bicep';
import { bicep } from '../unit/infra/files';

jest.setTimeout(180_000);

const APP_DIR = path.resolve(__dirname, '../..');
const PUB = 'otel';
const OFFER = 'otel-app';
const TOKEN = 'local-dev-token';
/** Custom dimensions the app sends only about failures (test/unit/events/telemetry.test.ts covers them). */
const ON_FAILURE_ONLY = ['errorCode', 'statusCode', 'activity'];

let azurite: RunningAzurite;
let sim: RunningSimulator;
let ingestion: RunningIngestion;
let child: HostChild | undefined;

async function startChild(): Promise<string> {
  child = await spawnHostChild({
    hub: 'goliveotel',
    settings: testAppSettings(azurite.connectionString, sim.url, {
      PARTNER_API_TOKEN: TOKEN,
      APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString,
    }),
    hostJson: { extensions: { queues: { maxPollingInterval: '00:00:00.250', visibilityTimeout: '00:00:01' } } },
    env: {
      // The exporter's HTTPS: trust the ingestion endpoint's self-signed certificate.
      NODE_EXTRA_CA_CERTS: ingestion.caFile,
      // Short export intervals so the test does not wait (the SIGTERM flush sends the rest).
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BLRP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      // No SDK self-telemetry to Microsoft's endpoints from a test.
      APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
    },
  });
  return child.base;
}

async function stopChild(signal: NodeJS.Signals): Promise<number | null> {
  const running = child;
  child = undefined;
  return (await running?.stop(signal)) ?? null;
}

const props = (e: Envelope): Record<string, string> => e.data.baseData.properties ?? {};
const opId = (e: Envelope): string | undefined => e.tags['ai.operation.id'];
const ofType = (type: string) => ingestion.envelopes.filter((e) => e.data.baseType === type);

let completion: CloudEvent<CompletionData>;

beforeAll(async () => {
  if (!existsSync(path.join(APP_DIR, 'dist/src/index.js'))) throw new Error('Build the app first: npm run build.');
  ingestion = await startIngestion();
  azurite = await startAzurite({ inMemory: true });
  sim = await startSimulator({ defaults: { durationMs: 2_000 } });
  // The first answer about the offer is a 503: the client retries it once.
  sim.admin.addOffer(PUB, OFFER, { serverErrors: { count: 1, status: 503 } });
  await startChild();
  await enqueue(azurite.connectionString, 'golive-requests', { publisherId: PUB, offerId: OFFER, requestId: 'otel-1' });
  completion = await waitFor(
    async () =>
      (await peekAll(azurite.connectionString, 'golive-events'))
        .map((t) => JSON.parse(t) as CloudEvent<CompletionData>)
        .find((e) => e.source === `/publishers/${PUB}/offers/${OFFER}`),
    { timeoutMs: 120_000, intervalMs: 250, what: 'the completion event' },
  );
  // Stopped as Azure stops a worker: appTerminate flushes what is buffered.
  expect(await stopChild('SIGTERM')).toBe(0);
});

afterAll(async () => {
  await stopChild('SIGKILL');
  await sim?.close();
  await azurite?.close();
  await ingestion?.close();
});

describe('one go-live in Application Insights', () => {
  it('ends succeeded, and its completion event carries the W3C traceparent of the invocation that sent it', () => {
    expect(completion.data.outcome).toBe('succeeded');
    expect(completion.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const [, traceId] = completion.traceparent!.split('-');
    const publish = ofType('RequestData').find((r) => r.data.baseData['name'] === 'publishCompletion');
    expect(publish && opId(publish)).toBe(traceId);
  });

  it('sends a request item per invocation, each under its own operation id', () => {
    const requests = ofType('RequestData');
    const byName = (name: string) => requests.filter((r) => r.data.baseData['name'] === name);
    expect(byName('goLiveRequests')).toHaveLength(1);
    expect(byName('submitGoLive')).toHaveLength(1);
    expect(byName('publishCompletion')).toHaveLength(1);
    expect(byName('readOperation').length).toBeGreaterThanOrEqual(1);
    expect(byName(ORCHESTRATOR_NAME).length).toBeGreaterThanOrEqual(3);
    const invocationIds = requests.map((r) => props(r)['faas.invocation_id']);
    expect(new Set(invocationIds).size).toBe(requests.length);
    expect(new Set(requests.map(opId)).size).toBe(requests.length);
    for (const r of requests) expect(r.data.baseData['success']).toBe(true);
  });

  it('sends a dependency for every partner API call: host, route template, status, the retry after the 503', () => {
    const deps = ofType('RemoteDependencyData');
    const seen = sim.admin.requests({ offerId: OFFER });
    const simHost = new URL(sim.url).hostname;
    expect(deps).toHaveLength(seen.length);
    for (const d of deps) {
      const data = d.data.baseData;
      expect(data['type']).toBe('Http');
      expect(data['target']).toBe(simHost);
      expect(String(data['data'])).not.toContain('?');
      expect(String(data['name'])).not.toContain(OFFER);
      expect(String(data['name'])).toMatch(/^(GET|POST) \/api\/publishers\/:publisherId\/offers\/:offerId/);
      expect(props(d)['golive.partner.attempt']).toMatch(/^[12]$/);
    }
    const post = deps.filter((d) => String(d.data.baseData['name']).endsWith('/golive'));
    expect(post.length).toBeGreaterThanOrEqual(1);
    expect(post.at(-1)!.data.baseData['resultCode']).toBe('202');
    const reads = deps.filter((d) => String(d.data.baseData['name']).startsWith('GET '));
    expect(reads.length).toBeGreaterThanOrEqual(1);
    // The simulator's statuses, in order, are the dependencies' result codes.
    expect(deps.map((d) => d.data.baseData['resultCode']).sort()).toEqual(seen.map((r) => String(r.status)).sort());
    const failed = deps.filter((d) => d.data.baseData['resultCode'] === '503');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data.baseData['success']).toBe(false);
    const retry = deps.filter((d) => props(d)['golive.partner.retry'] === 'true');
    expect(retry).toHaveLength(1);
    expect(retry[0]!.data.baseData['name']).toBe(failed[0]!.data.baseData['name']);
    expect(props(retry[0]!)['golive.partner.attempt']).toBe('2');
    expect(opId(retry[0]!)).toBe(opId(failed[0]!));
    // The partner's request id header.
    expect(deps.every((d) => (props(d)['golive.partner.requestId'] ?? '') !== '')).toBe(true);
    // Each dependency is a child of the request item of its invocation.
    const requests = new Map(ofType('RequestData').map((r) => [r.data.baseData['id'] as string, r]));
    for (const d of deps) {
      const parent = requests.get(d.tags['ai.operation.parentId']!);
      expect(parent && opId(parent)).toBe(opId(d));
    }
  });

  it('sends the custom events and metrics with their names and dimensions, in their invocation', () => {
    const events = ofType('EventData');
    const stateChanges = events.filter((e) => e.data.baseData['name'] === STATE_CHANGED_EVENT);
    const states = stateChanges.map((e) => props(e)['state']);
    expect(states).toEqual(expect.arrayContaining(['submitting', 'polling', 'succeeded']));
    const final = stateChanges.find((e) => props(e)['outcome'] === 'succeeded')!;
    expect(props(final)).toMatchObject({
      publisherId: PUB,
      offerId: OFFER,
      runId: completion.data.runId,
      operationId: completion.data.operationId,
      api: 'cpp',
      state: 'succeeded',
    });
    const metricNames = ofType('MetricData').flatMap((m) =>
      (m.data.baseData['metrics'] as { name: string; value: number }[]).map((x) => ({ ...x, props: props(m) })),
    );
    const duration = metricNames.filter((m) => m.name === DURATION_METRIC);
    const polls = metricNames.filter((m) => m.name === POLL_COUNT_METRIC);
    expect(duration).toHaveLength(1);
    expect(polls).toHaveLength(1);
    expect(duration[0]!.props).toMatchObject({ runId: completion.data.runId, outcome: 'succeeded' });
    expect(polls[0]!.value).toBe(completion.data.pollCount);
    // Every event and log line belongs to the operation (invocation) that sent it.
    const operations = new Set(ofType('RequestData').map(opId));
    for (const e of [...events, ...ofType('MessageData')]) expect(operations).toContain(opId(e));
  });

  it('tags every item of the run with golive.runId and the offer', () => {
    const runId = completion.data.runId;
    const runItems = ingestion.envelopes.filter((e) => e.data.baseType !== 'MetricData' && isRunItem(e));
    // The intake's lines before its run exists carry the offer only.
    const intakeLogs = runItems.filter((e) => e.data.baseType === 'MessageData' && isIntakeLog(e));
    const runMetrics = ofType('MetricData').filter((m) => props(m)['runId'] === runId);
    const tagged = [...runItems.filter((e) => !intakeLogs.includes(e)), ...runMetrics];
    expect(runMetrics).toHaveLength(2);
    expect(tagged.length).toBeGreaterThan(20);
    const missing = tagged.filter((e) => props(e)['golive.runId'] !== runId || props(e)['golive.offerId'] !== OFFER);
    expect(
      missing.map((e) => `${e.data.baseType} ${String(e.data.baseData['name'] ?? e.data.baseData['message'])}`),
    ).toEqual([]);
    for (const e of intakeLogs) expect(props(e)['golive.offerId']).toBe(OFFER);
    // Items that name the partner operation name the run's.
    for (const e of tagged) {
      const op = props(e)['golive.operationId'];
      if (op !== undefined) expect(op).toBe(completion.data.operationId);
    }
  });

  it('sends no token, key or secret', () => {
    const all = ingestion.bodies.join('\n');
    const accountKey = /AccountKey=([^;]+)/.exec(azurite.connectionString)![1]!;
    for (const secret of [TOKEN, accountKey, 'Bearer ', 'authorization', 'sig=']) expect(all).not.toContain(secret);
    expect(ingestion.otherPaths).toEqual([]);
  });

  it('carries what the alert queries read (tables, event names, custom dimensions)', () => {
    const alerts = bicep('infra/app/alerts.bicep');
    const rules = evaluate(alerts.variable('rules').value, alerts.scope({ poisonQueueName: 'golive-requests-poison' }));
    if (!Array.isArray(rules)) throw new Error('alert rules are not known before deployment');
    const tables: Record<string, string> = {
      customEvents: 'EventData',
      customMetrics: 'MetricData',
      traces: 'MessageData',
    };
    const checked: string[] = [];
    for (const rule of rules) {
      const query = text(isPlainObject(rule) ? rule['query'] : undefined);
      for (const [table, type] of Object.entries(tables)) {
        if (query.includes(table)) expect(ofType(type).length).toBeGreaterThan(0);
      }
      for (const [, name] of query.matchAll(/name == '(\w+)'/g)) {
        const sent = ofType('EventData').filter((e) => e.data.baseData['name'] === name);
        if (sent.length === 0) continue; // not produced by a successful go-live (rejections, errors after retries)
        const keys = new Set(sent.flatMap((e) => Object.keys(props(e))));
        for (const [, field] of query.matchAll(/customDimensions\.(\w+)/g)) {
          // Sent only when something failed (a run's error code, a partner error's status): see the unit tests.
          if (!keys.has(field!)) expect(ON_FAILURE_ONLY).toContain(field);
        }
        checked.push(name!);
      }
    }
    expect(checked).toContain(STATE_CHANGED_EVENT);
    void PARTNER_API_ERROR_EVENT;
  });

  it('reports what one go-live produced', () => {
    const counts: Record<string, number> = {};
    for (const e of ingestion.envelopes) {
      const key =
        e.data.baseType === 'RequestData' || e.data.baseType === 'EventData'
          ? `${e.data.baseType} ${String(e.data.baseData['name'])}`
          : e.data.baseType;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    process.stdout.write(`telemetry of one go-live: ${JSON.stringify(counts, null, 1)}\n`);
    if (process.env.TELEMETRY_DUMP)
      writeFileSync(process.env.TELEMETRY_DUMP, JSON.stringify(ingestion.envelopes, null, 1));
    expect(Object.keys(counts).length).toBeGreaterThan(3);
  });
});

/** A log line of the intake invocation, written before the run it starts exists. */
function isIntakeLog(e: Envelope): boolean {
  const intake = ofType('RequestData').find((r) => r.data.baseData['name'] === 'goLiveRequests');
  return intake !== undefined && opId(intake) === opId(e);
}

/** Items of the run's invocations (not the host's scheduled functions, e.g. the reconcile timer). */
function isRunItem(e: Envelope): boolean {
  const runFunctions = ['goLiveRequests', ORCHESTRATOR_NAME, 'submitGoLive', 'readOperation', 'publishCompletion'];
  const request = ofType('RequestData').find((r) => opId(r) === opId(e));
  return request !== undefined && runFunctions.includes(String(request.data.baseData['name']));
}
