import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import { gunzipSync } from 'node:zlib';

import { acceptsGzip, buildConsolePage, bundle } from '../../../src/console/page';

describe('console page', () => {
  it('bundles CommonJS modules with a loader that resolves their requires', () => {
    const script = bundle(
      {
        main: 'const dep = require("./dep"); globalThis.out = dep.twice(21);\n//# sourceMappingURL=main.js.map',
        dep: 'exports.twice = (n) => n * 2;',
      },
      'main',
    );
    const sandbox: { out?: number } = {};
    runInNewContext(script, sandbox);
    expect(sandbox.out).toBe(42);
    expect(script).not.toContain('sourceMappingURL');
  });

  it('inlines the compiled modules under a CSP that allows exactly that script and style and the own origin', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'console-page-'));
    const dir = path.join(root, 'console');
    mkdirSync(path.join(root, 'golive/run'), { recursive: true });
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'client.js'), 'require("./answers"); require("./runModel");');
    writeFileSync(path.join(dir, 'answers.js'), 'exports.a = 1;');
    writeFileSync(path.join(dir, 'runModel.js'), 'require("../golive/run/states"); exports.r = 1;');
    writeFileSync(path.join(root, 'golive/run/states.js'), 'exports.s = 1;');
    const page = buildConsolePage(dir);
    expect(page.html).toMatch(/^<!doctype html>/);
    expect(page.html).toContain('<main>');
    expect(page.html).not.toMatch(/https?:\/\//); // nothing from outside the app
    const csp = page.headers['Content-Security-Policy']!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(gunzipSync(page.gzip).toString('utf8')).toBe(page.html);
  });

  it('reads Accept-Encoding', () => {
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('br;q=1, gzip;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});
