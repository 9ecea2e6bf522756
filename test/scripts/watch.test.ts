import { parseArgs } from '../../scripts/golive';
import { block, changes, endLines, exitCodeFor } from '../../scripts/golive/watch';
import { readRunModel, type RunModel } from '../../src/console/runModel';

function run(overrides: Record<string, unknown> = {}): RunModel {
  return readRunModel({
    publisherId: 'contoso',
    offerId: 'contoso-app',
    runId: 'r-1',
    runNumber: 1,
    state: 'polling',
    active: true,
    operationId: 'op-1',
    operationStatus: 'running',
    progressPercentage: 30,
    steps: [
      { name: 'Certification', status: 'inProgress', progress: 40 },
      { name: 'Live', status: 'notStarted', progress: 0 },
    ],
    pollCount: 3,
    nextCheckAt: '2026-01-01T00:00:12.000Z',
    ...overrides,
  })!;
}

describe('golive watch output', () => {
  it('describes the first read whole, then only what changed', () => {
    const first = run();
    expect(changes(undefined, first)).toEqual([
      'run 1 (r-1) polling',
      'operation op-1',
      'partner status running 30%',
      'step "Certification" inProgress 40%',
      'step "Live" notStarted 0%',
    ]);
    expect(changes(first, run())).toEqual([]);
    const later = run({
      progressPercentage: 60,
      steps: [
        { name: 'Certification', status: 'complete', progress: 100 },
        { name: 'Live', status: 'notStarted', progress: 0 },
      ],
      requestIds: ['a', 'b'],
    });
    expect(changes(first, later)).toEqual([
      'partner status running 60%',
      'step "Certification" complete 100%',
      '2 requests',
    ]);
  });

  it('draws a terminal block with bars, the current step and the countdown', () => {
    const lines = block(run(), Date.parse('2026-01-01T00:00:00.000Z'));
    expect(lines[0]).toBe('contoso/contoso-app  polling  partner status running  checks 3  next check in 12 s');
    expect(lines[1]).toBe(`  [#########${'-'.repeat(21)}] 30%`);
    expect(lines[2]).toBe('  › Certification  [########------------] 40%  inProgress');
    expect(lines[3]).toBe('    Live           [--------------------] 0%  notStarted');
  });

  it('ends with the outcome, the partner reason and the completion event; exit codes by outcome', () => {
    const failed = run({
      state: 'failed',
      active: false,
      durationSeconds: 65,
      error: { code: 'StepBlocked', message: 'Certification failed', statusCode: 409 },
      completionEvent: { type: 'golive.failed' },
    });
    const lines = endLines(failed);
    expect(lines[0]).toBe(
      'contoso/contoso-app ended failed after 1 min 05 s, 3 checks: StepBlocked: Certification failed (HTTP 409)',
    );
    expect(lines.slice(1)).toEqual(['Completion event:', JSON.stringify({ type: 'golive.failed' }, null, 2)]);
    expect([exitCodeFor('succeeded'), exitCodeFor('failed'), exitCodeFor('terminated')]).toEqual([0, 1, 1]);
    expect([exitCodeFor('canceled'), exitCodeFor('timedOut'), exitCodeFor('rejected')]).toEqual([2, 2, 3]);
  });

  it('parses the command line', () => {
    expect(parseArgs(['watch', 'p/o', '--request-id', 'r', '--interval=0.5', '--url', 'http://x'])).toMatchObject({
      command: 'watch',
      publisherId: 'p',
      offerId: 'o',
      requestId: 'r',
      intervalSeconds: 0.5,
      url: 'http://x',
    });
    expect(() => parseArgs(['watch'])).toThrow(/publisherId/);
    expect(() => parseArgs(['list', '--state', 'nope'])).toThrow(/--state must be one of/);
    expect(() => parseArgs(['fly'])).toThrow(/Unknown command/);
  });
});
