import { scheduledOccurrence, scheduledRequestId, scheduledRequests } from '../../../src/golive/schedule';

const now = new Date('2026-03-01T06:00:00.350Z');

describe('scheduled go-lives', () => {
  it('takes the monitor’s expected occurrence as the one firing', () => {
    const timer = { isPastDue: false, scheduleStatus: { last: '2026-02-28T06:00:00Z', next: '2026-03-01T06:00:00Z' } };
    expect(scheduledOccurrence(timer, now).toISOString()).toBe('2026-03-01T06:00:00.000Z');
  });

  it('takes a missed occurrence when past due', () => {
    const later = new Date('2026-03-01T09:13:00Z');
    const timer = { isPastDue: true, scheduleStatus: { next: '2026-03-01T06:00:00Z' } };
    expect(scheduledOccurrence(timer, later).toISOString()).toBe('2026-03-01T06:00:00.000Z');
  });

  it('falls back to now, to the second, without schedule status', () => {
    expect(scheduledOccurrence({ scheduleStatus: null }, now).toISOString()).toBe('2026-03-01T06:00:00.000Z');
    expect(scheduledOccurrence({ scheduleStatus: { next: 'garbage' } }, now).toISOString()).toBe(
      '2026-03-01T06:00:00.000Z',
    );
  });

  it('builds one message per offer with requestedBy schedule and an occurrence-derived request id', () => {
    const offers = [
      { publisherId: 'contoso', offerId: 'a' },
      { publisherId: 'fabrikam', offerId: 'b' },
    ];
    const first = scheduledRequests(offers, { scheduleStatus: null }, now).map(
      (m) => JSON.parse(m) as Record<string, string>,
    );
    expect(first).toEqual([
      {
        publisherId: 'contoso',
        offerId: 'a',
        requestId: 'schedule-20260301T060000Z-contoso-a',
        requestedBy: 'schedule',
      },
      {
        publisherId: 'fabrikam',
        offerId: 'b',
        requestId: 'schedule-20260301T060000Z-fabrikam-b',
        requestedBy: 'schedule',
      },
    ]);
    // the same occurrence fired again (restart) gives the same ids
    const again = scheduledRequests(
      offers,
      { scheduleStatus: { next: '2026-03-01T06:00:00Z' } },
      new Date('2026-03-01T06:00:05Z'),
    );
    expect(again.map((m) => (JSON.parse(m) as { requestId: string }).requestId)).toEqual(first.map((m) => m.requestId));
    expect(scheduledRequests([], { scheduleStatus: null }, now)).toEqual([]);
  });

  it('formats the request id compactly', () => {
    expect(scheduledRequestId(new Date('2026-12-31T23:59:59.999Z'))).toBe('schedule-20261231T235959Z');
  });
});
