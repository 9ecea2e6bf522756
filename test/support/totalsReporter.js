/**
 * Prints jest's totals as one plain line, `N passed, N failed`, which CI reads.
 * Suites that fail to run (a syntax error, a failing beforeAll) count as failed tests too.
 */
class TotalsReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : '');
    process.stdout.write(`\n${line}\n`);
  }
}
module.exports = TotalsReporter;
