/**
 * host.json logging: the host's per-invocation `Executing`/`Executed` lines (category `Function.<name>`) sit below
 * the default level, while every function's own lines (`Function.<name>.User`) stay at Information. A function
 * registered without its `.User` entry would go silent: this test names it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { ACTIVITY, RECONCILE_ORCHESTRATOR_NAME, RUN_ORCHESTRATOR_NAMES } from '../../../src/golive/contracts';

const ROOT = path.resolve(__dirname, '../../..');
const levels = (
  JSON.parse(readFileSync(path.join(ROOT, 'host.json'), 'utf8')) as {
    logging: { logLevel: Record<string, string> };
  }
).logging.logLevel;

/** Every function name the app registers (literal names, the orchestrator and the activity constants). */
function registeredNames(): string[] {
  const names = new Set<string>([...RUN_ORCHESTRATOR_NAMES, RECONCILE_ORCHESTRATOR_NAME, ...Object.values(ACTIVITY)]);
  const dir = path.join(ROOT, 'src/functions');
  for (const file of readdirSync(dir)) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    for (const m of text.matchAll(/app(?:\.client)?\.(?:http|storageQueue|timer)\('([A-Za-z0-9_]+)'/g))
      names.add(m[1]!);
  }
  return [...names].sort();
}

describe('host.json logging', () => {
  it('keeps Executing/Executed below the default level', () => {
    expect(levels.default).toBe('Information');
    expect(levels.Function).toBe('Warning');
  });

  it("keeps every registered function's own log lines at Information", () => {
    const names = registeredNames();
    expect(names).toEqual(
      expect.arrayContaining([
        'console',
        'goLiveRequests',
        'goLiveOrchestrator',
        'goLiveOrchestratorV2',
        'goLiveReconcileOrchestrator',
        'readOperation',
      ]),
    );
    expect(names.filter((n) => levels[`Function.${n}.User`] !== 'Information')).toEqual([]);
  });
});
