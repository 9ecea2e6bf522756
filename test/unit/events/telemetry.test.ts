import { ManagedIdentityCredential } from '@azure/identity';

import { DIMENSIONS } from '../../../src/events/names';
import {
  azureMonitorOptions,
  type OpenTelemetryOptions,
  partnerSpanAttributes,
  routeTemplate,
} from '../../../src/events/otel';
import {
  currentRunScope,
  offerTagsFromText,
  runAttributes,
  runTagsFromInput,
  tagRun,
  withPartnerAttempt,
  withRunScope,
} from '../../../src/events/scope';
import {
  createTelemetrySink,
  GoLiveTelemetry,
  MemoryTelemetrySink,
  noopTelemetrySink,
  type StartOpenTelemetry,
  startTelemetry,
} from '../../../src/events/telemetry';

describe('GoLiveTelemetry', () => {
  it('sends GoLiveStateChanged with the documented dimensions only', () => {
    const sink = new MemoryTelemetrySink();
    const t = new GoLiveTelemetry(sink);
    const dims = {
      publisherId: 'contoso',
      offerId: 'app',
      runId: 'r1',
      api: 'cpp',
      state: 'polling',
      operationId: 'op',
    };
    t.stateChanged({ ...dims, token: 'secret' } as typeof dims, 'submitting');
    expect(sink.events).toEqual([{ name: 'GoLiveStateChanged', properties: { ...dims, previousState: 'submitting' } }]);
    for (const key of Object.keys(sink.events[0]!.properties)) {
      expect([...DIMENSIONS, 'previousState']).toContain(key);
    }
  });

  it('sends the duration and poll-count metrics with the final state change', () => {
    const sink = new MemoryTelemetrySink();
    new GoLiveTelemetry(sink).completed(
      { publisherId: 'p', offerId: 'o', outcome: 'failed', state: 'failed' },
      42,
      3,
      'BadRequest',
    );
    expect(sink.metrics.map((m) => [m.name, m.value])).toEqual([
      ['GoLiveDurationSeconds', 42],
      ['GoLivePollCount', 3],
    ]);
    expect(sink.events[0]!.properties).toMatchObject({ errorCode: 'BadRequest', outcome: 'failed' });
  });

  it('never lets a failing sink break the workflow', () => {
    const broken = {
      trackEvent: () => {
        throw new Error('down');
      },
      trackMetric: () => {
        throw new Error('down');
      },
    };
    const t = new GoLiveTelemetry(broken);
    expect(() => t.stateChanged({}, undefined)).not.toThrow();
    expect(() => t.completed({}, 1, 1)).not.toThrow();
    expect(() => t.rejected('r', 'm')).not.toThrow();
  });

  it('is a no-op without a connection string', () => {
    expect(createTelemetrySink(undefined)).toBe(noopTelemetrySink);
    expect(createTelemetrySink('')).toBe(noopTelemetrySink);
  });
});

describe('startTelemetry / createTelemetrySink with a connection string', () => {
  function fakeStart() {
    const calls: OpenTelemetryOptions[] = [];
    const sink = new MemoryTelemetrySink();
    const start: StartOpenTelemetry = (options) => {
      calls.push(options);
      return sink;
    };
    return { calls, sink, load: () => start };
  }
  const config = (connectionString: string | undefined, aad = false, clientId?: string) => ({
    applicationInsightsConnectionString: connectionString,
    applicationInsightsAuthentication: { aad, clientId },
    partnerApi: { baseUrl: 'https://cloudpartner.azure.com' },
    productIngestion: { baseUrl: 'https://graph.microsoft.com/rp/product-ingestion' },
  });

  it('starts nothing without a connection string (the OpenTelemetry module is never loaded)', () => {
    const load = jest.fn();
    expect(startTelemetry(config(undefined), load)).toBe(noopTelemetrySink);
    expect(createTelemetrySink(undefined, { aad: false }, load)).toBe(noopTelemetrySink);
    expect(load).not.toHaveBeenCalled();
  });

  it('starts OpenTelemetry with the connection string, the identity and the partner origins', () => {
    const fake = fakeStart();
    const sink = startTelemetry(config('InstrumentationKey=x', true, 'client-1'), fake.load);
    expect(fake.calls).toEqual([
      {
        connectionString: 'InstrumentationKey=x',
        authentication: { aad: true, clientId: 'client-1' },
        partnerOrigins: ['https://cloudpartner.azure.com', 'https://graph.microsoft.com/rp/product-ingestion'],
      },
    ]);
    sink.trackEvent('GoLiveStateChanged', { state: 'running' });
    expect(fake.sink.events).toEqual([{ name: 'GoLiveStateChanged', properties: { state: 'running' } }]);
  });

  it('passes no client id for the system-assigned identity, and no Entra ID when not asked', () => {
    const fake = fakeStart();
    startTelemetry(config('InstrumentationKey=x', true), fake.load);
    startTelemetry(config('InstrumentationKey=x', false), fake.load);
    expect(fake.calls.map((c) => c.authentication)).toEqual([{ aad: true }, { aad: false }]);
  });
});

describe('azureMonitorOptions', () => {
  const base = { connectionString: 'InstrumentationKey=x', partnerOrigins: [] };

  it('authenticates the exporter with the managed identity when Entra ID is asked for', () => {
    const options = azureMonitorOptions({ ...base, authentication: { aad: true, clientId: 'client-1' } });
    expect(options.azureMonitorExporterOptions?.connectionString).toBe('InstrumentationKey=x');
    expect(options.azureMonitorExporterOptions?.credential).toBeInstanceOf(ManagedIdentityCredential);
    const keyOnly = azureMonitorOptions({ ...base, authentication: { aad: false } });
    expect(keyOnly.azureMonitorExporterOptions?.credential).toBeUndefined();
  });

  it("keeps every item and leaves the distro's own HTTP and Azure SDK instrumentations off", () => {
    const options = azureMonitorOptions({ ...base, authentication: { aad: false } });
    expect(options).toMatchObject({ samplingRatio: 1, tracesPerSecond: 0, enableLiveMetrics: false });
    expect(options.instrumentationOptions?.http?.enabled).toBe(false);
    expect(options.instrumentationOptions?.azureSdk?.enabled).toBe(false);
  });
});

describe('partner request attributes', () => {
  it.each([
    [
      '/api/publishers/contoso/offers/contoso-app/golive?api-version=2017-10-31',
      '/api/publishers/:publisherId/offers/:offerId/golive',
    ],
    [
      '/api/publishers/contoso/offers/contoso-app/operations/0b5f6c1e-7d1a-4e33-9f50-1d2c3b4a5f60',
      '/api/publishers/:publisherId/offers/:offerId/operations/:operationId',
    ],
    ['/api/publishers/p/offers/o/status', '/api/publishers/:publisherId/offers/:offerId/status'],
    ['/rp/product-ingestion/configure?$version=2022-03-01-preview2', '/rp/product-ingestion/configure'],
    ['/rp/product-ingestion/configure/job-42/status', '/rp/product-ingestion/configure/:jobId/status'],
    [
      '/rp/product-ingestion/submission/9f1c2d3e-aaaa-bbbb-cccc-0123456789ab',
      '/rp/product-ingestion/submission/:productId',
    ],
    ['/v1.0/things/123', '/v1.0/things/:id'],
  ])('%s has the route template %s', (path, template) => {
    expect(routeTemplate(path)).toBe(template);
  });

  it('replaces the URL by its template, with the attempt of the call and a retry marked', () => {
    const first = withPartnerAttempt({ attempt: 1, policy: 'read' }, () =>
      partnerSpanAttributes('https://cloudpartner.azure.com', '/api/publishers/p/offers/o/status?secret=1'),
    );
    expect(first).toEqual({
      'url.full': 'https://cloudpartner.azure.com/api/publishers/:publisherId/offers/:offerId/status',
      'url.path': '/api/publishers/:publisherId/offers/:offerId/status',
      'url.template': '/api/publishers/:publisherId/offers/:offerId/status',
      'http.route': '/api/publishers/:publisherId/offers/:offerId/status',
      'golive.partner.attempt': 1,
      'golive.partner.retry': false,
    });
    const retry = withPartnerAttempt({ attempt: 2, policy: 'goLive' }, () =>
      partnerSpanAttributes('https://cloudpartner.azure.com', '/api/publishers/p/offers/o/golive'),
    );
    expect(retry).toMatchObject({
      'golive.partner.attempt': 2,
      'golive.partner.retry': true,
      'http.request.resend_count': 1,
    });
  });
});

describe('run scope', () => {
  it('reads the run tags from an activity input, an orchestration trigger and a completion input', () => {
    const target = { publisherId: 'contoso', offerId: 'app', api: 'cpp' };
    expect(runTagsFromInput({ runId: 'r1', target, operationUrl: 'x' })).toEqual({
      runId: 'r1',
      publisherId: 'contoso',
      offerId: 'app',
    });
    expect(runTagsFromInput(JSON.stringify({ history: [], input: { runId: 'r2', target } }))).toMatchObject({
      runId: 'r2',
      offerId: 'app',
    });
    expect(runTagsFromInput({ output: { runId: 'r3', publisherId: 'p', offerId: 'o', operationId: 'op' } })).toEqual({
      runId: 'r3',
      publisherId: 'p',
      offerId: 'o',
      operationId: 'op',
    });
    expect(runTagsFromInput('not json')).toBeUndefined();
    expect(offerTagsFromText(' {"publisherId":"contoso","offerId":"app","requestId":"r"}')).toEqual({
      publisherId: 'contoso',
      offerId: 'app',
    });
    expect(offerTagsFromText('{"offerId":7}')).toEqual({});
    expect(offerTagsFromText('not json')).toEqual({});
    expect(runTagsFromInput({ publisherId: 'p' })).toBeUndefined();
  });

  it('adds tags inside an invocation (and tells its span), and does nothing outside one', async () => {
    const added: unknown[] = [];
    const scope = { tags: { offerId: 'o' }, onTag: (t: unknown) => added.push(t) };
    await withRunScope(scope, async () => {
      await Promise.resolve();
      tagRun({ runId: 'r1', operationId: '' });
      expect(runAttributes(currentRunScope()?.tags)).toEqual({ 'golive.offerId': 'o', 'golive.runId': 'r1' });
    });
    expect(added).toEqual([{ runId: 'r1' }]);
    expect(() => tagRun({ runId: 'outside' })).not.toThrow();
    expect(currentRunScope()).toBeUndefined();
  });
});
