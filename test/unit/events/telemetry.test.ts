import { DIMENSIONS } from '../../../src/events/names';
import {
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
