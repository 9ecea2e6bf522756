/**
 * The fault soak, small (`ci` profile of scripts/soak/run.ts): ~28 go-lives across 16 simulator offers with 429,
 * 5xx, connection resets before and after the Go Live POST is accepted, a slow offer, failing operations, one that
 * never ends (timedOut by a 1-minute deadline) and a hostile operation URL; duplicate requests while runs go and
 * redelivered messages; two SIGKILLs of the host and an Azurite restart (data on disk, same ports) mid-run; joins
 * while the run continues as new, an operator terminate, a cancel and 150 requests on one run.
 *
 * The report must show nothing lost, nothing accounted twice, Go Live POSTs equal to runs per offer, nothing left
 * in flight, the token never sent to the other origin, and no secret in logs, events, queues, tables or blobs.
 * The seed is printed; SOAK_SEED=<n> repeats a run.
 */
import { freshSeed } from '../../../scripts/soak/prng';
import { formatReport, PROFILES, runSoak, type SoakReport } from '../../../scripts/soak/run';

jest.setTimeout(900_000);

const seed = process.env['SOAK_SEED'] ? Number(process.env['SOAK_SEED']) : freshSeed();
let report: SoakReport;

beforeAll(async () => {
  const profile = PROFILES['ci'];
  if (!profile) throw new Error('no ci profile');
  report = await runSoak({ profile, seed });
  process.stdout.write(`${formatReport(report)}\n`);
});

describe(`fault soak, ci profile (seed ${seed})`, () => {
  it('accounts for every request exactly once and sends one Go Live POST per run', () => {
    expect(report.lost).toEqual([]);
    expect(report.duplicateAccounting).toEqual([]);
    expect(report.duplicatePosts).toEqual([]);
    expect(report.unknownRequestIds).toEqual([]);
    expect(report.goLivePosts.accepted).toBe(report.runs);
    // Each go-live request starts its run (the offer's previous run has ended); a duplicate joins, or starts the
    // next run when it arrives after the run ended. Redelivered copies never start one.
    expect(report.runs).toBeGreaterThanOrEqual(report.requests.goLives);
    expect(report.runs).toBeLessThanOrEqual(report.requests.goLives + report.requests.duplicates);
    expect(report.rejections).toBe(report.requests.invalid);
  });

  it('met the partner faults and ends each run as its scenario says', () => {
    expect(report.unexpectedOutcomes).toEqual([]);
    expect(report.faults.throttled).toBeGreaterThan(0);
    expect(report.faults.serverErrors).toBeGreaterThan(0);
    expect(report.goLivePosts.resetBefore).toBeGreaterThan(0);
    expect(report.goLivePosts.resetAfter).toBeGreaterThan(0);
    expect(report.eventsByType['golive.timedOut']).toBe(1);
    expect(report.eventsByType['golive.failed']).toBeGreaterThan(0);
  });

  it('survived the host SIGKILLs and the Azurite restart with nothing left in flight', () => {
    expect(report.restarts.hostKills).toBe(2);
    expect(report.restarts.azurite).toBe(1);
    expect(report.restarts.unexpectedHostExits).toBe(0);
    expect(report.inFlight).toEqual({ requests: 0, poison: 0, durableQueues: 0, running: [] });
  });

  it('never sends the token to a hostile operation URL and ends that run failed with a clear error', () => {
    expect(report.hostile.withAuthorization).toBe(0);
    expect(report.hostile.otherOriginRequests).toBe(0);
    expect(report.hostile.outcome).toBe('golive.failed');
    expect(report.hostile.errorCode).toBe('OperationUrlRefused');
  });

  it('leaves no bearer token, client secret or storage key in logs, events, custom status or history', () => {
    expect(report.secrets.findings).toEqual([]);
    expect(report.secrets.scanned).toBeGreaterThan(100);
  });

  it('accounts for joins at continueAsNew, an operator terminate, a cancel and 150 requests on one run', () => {
    expect(report.cases.stormJoins).toBeGreaterThan(0);
    expect(report.cases.crowdRequests).toBe(150);
    // 100 ids per event: 2 pages, one more event when late joins start the next run
    expect(report.cases.crowdEvents).toBeGreaterThanOrEqual(2);
    expect(report.cases.terminate).toContain('golive.failed RunTerminated');
    expect(report.cases.cancel).toContain('golive.canceled');
    expect(report.cases.cancel).toContain('operationStatus canceled');
  });

  it('reports no problem at all', () => {
    expect(report.problems).toEqual([]);
  });
});
