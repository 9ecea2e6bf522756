/**
 * Telemetry off costs nothing: the BUILT app loaded without `APPLICATIONINSIGHTS_CONNECTION_STRING` loads none of the
 * OpenTelemetry SDK, the Azure Monitor distro or the instrumentations; with one it loads them (so the check can fail).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const APP_DIR = path.resolve(__dirname, '../..');
const HEAVY =
  /node_modules\/(@azure\/monitor-opentelemetry|@azure\/functions-opentelemetry-instrumentation|@opentelemetry\/(sdk-|instrumentation))/;

/** The modules Node loaded for the app's entry point (dist/src/index.js) with these settings. */
function modulesLoaded(env: Record<string, string>): string[] {
  const script = `require(${JSON.stringify(path.join(APP_DIR, 'dist/src/index.js'))});
require('node:fs').writeSync(1, '\\nMODULES ' + JSON.stringify(Object.keys(require.cache)) + '\\n');
process.exit(0);`;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd: APP_DIR,
    env: { PATH: process.env.PATH ?? '', APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true', ...env },
    encoding: 'utf8',
  });
  const line = out.split('\n').find((l) => l.startsWith('MODULES '));
  if (!line) throw new Error(`no module list in: ${out}`);
  return JSON.parse(line.slice('MODULES '.length)) as string[];
}

describe('telemetry off', () => {
  beforeAll(() => {
    if (!existsSync(path.join(APP_DIR, 'dist/src/index.js'))) throw new Error('Build the app first: npm run build.');
  });

  it('loads no OpenTelemetry SDK, distro or instrumentation without a connection string', () => {
    const off = modulesLoaded({});
    expect(off.filter((m) => HEAVY.test(m))).toEqual([]);
    expect(off.some((m) => m.includes('node_modules/@azure/functions/'))).toBe(true);
  });

  it('loads them when a connection string is set', () => {
    const on = modulesLoaded({
      APPLICATIONINSIGHTS_CONNECTION_STRING:
        'InstrumentationKey=00000000-0000-4000-8000-000000000023;IngestionEndpoint=https://localhost:9/',
    });
    expect(on.filter((m) => HEAVY.test(m)).length).toBeGreaterThan(10);
  });
});
