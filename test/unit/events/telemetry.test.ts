import type { TokenCredential } from '@azure/identity';
import { ManagedIdentityCredential } from '@azure/identity';

import { DIMENSIONS } from '../../../src/events/names';
import {
  type AppInsightsModule,
  createTelemetrySink,
  GoLiveTelemetry,
  MemoryTelemetrySink,
  noopTelemetrySink,
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

describe('createTelemetrySink with Application Insights', () => {
  function fakeAppInsights() {
    const clients: { connectionString: string; config: { aadTokenCredential?: unknown }; sent: unknown[] }[] = [];
    const module: AppInsightsModule = {
      TelemetryClient: class {
        config: { aadTokenCredential?: TokenCredential } = {};
        sent: unknown[] = [];
        constructor(readonly connectionString: string) {
          clients.push(this);
        }
        trackEvent(t: unknown) {
          this.sent.push(t);
        }
        trackMetric(t: unknown) {
          this.sent.push(t);
        }
      },
    };
    return { module, clients };
  }

  it('authenticates with the managed identity when the authentication string asks for Entra ID', () => {
    const fake = fakeAppInsights();
    const sink = createTelemetrySink('InstrumentationKey=x', { aad: true, clientId: 'client-1' }, () => fake.module);
    sink.trackEvent('GoLiveStateChanged', { state: 'running' });
    expect(fake.clients).toHaveLength(1);
    expect(fake.clients[0]!.config.aadTokenCredential).toBeInstanceOf(ManagedIdentityCredential);
    expect(fake.clients[0]!.sent).toEqual([{ name: 'GoLiveStateChanged', properties: { state: 'running' } }]);
  });

  it('uses the connection string alone without Entra ID', () => {
    const fake = fakeAppInsights();
    createTelemetrySink('InstrumentationKey=x', { aad: false }, () => fake.module);
    expect(fake.clients[0]!.config.aadTokenCredential).toBeUndefined();
  });
});
