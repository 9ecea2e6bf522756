/**
 * Telemetry off costs nothing: the BUILT app loaded without `APPLICATIONINSIGHTS_CONNECTION_STRING` loads none of the
 * OpenTelemetry SDK, the Azure Monitor distro or the instrumentations; with one it loads them (so the check can fail).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const APP_DIR = path.resolve(__dirname, '../..');
const HEAVY =
  /node_modules\/(@azure\/monitor-opentelemetry|@azure\/functions-opentelemetry-instrumentation|@opentelemetry\/(sdk-|instrumentation))/;

/** The modules Node loaded for the app's entry point (dist/src/index.js) with these settings. */
function modulesLoaded(env: Record<string, string>): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'telemetry-off-'));
  const out = path.join(dir, 'modules.json');
  try {
    const script = `require(${JSON.stringify(path.join(APP_DIR, 'dist/src/index.js'))});
require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache)));
process.exit(0);`;
    execFileSync(process.execPath, ['-e', script], {
      cwd: APP_DIR,
      env: { PATH: process.env.PATH ?? '', APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true', ...env },
      stdio: 'ignore',
    });
    return JSON.parse(readFileSync(out, 'utf8')) as string[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
