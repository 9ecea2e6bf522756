import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { matchEntryPoints } from '../../../tools/host/appLoader';

describe('matchEntryPoints (package.json main, as the worker globs it)', () => {
  let app: string;

  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'app-loader-'));
    for (const file of [
      'src/index.js',
      'src/functions/b.js',
      'src/functions/a.js',
      'src/functions/notes.md',
      'src/functions/nested/c.js',
      'src/.hidden/x.js',
      'node_modules/pkg/index.js',
    ]) {
      mkdirSync(dirname(join(app, file)), { recursive: true });
      writeFileSync(join(app, file), '');
    }
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it("takes braces' alternatives in order (the entry point first), each file once", () => {
    const files = matchEntryPoints(app, 'src/{index.js,functions/*.js}');
    expect(files[0]).toBe('src/index.js');
    expect([...files].sort()).toEqual(['src/functions/a.js', 'src/functions/b.js', 'src/index.js']);
    expect(matchEntryPoints(app, 'src/functions/{b,a,b}.js')).toEqual(['src/functions/b.js', 'src/functions/a.js']);
  });

  it('accepts ./ and **, leaves out dot folders and node_modules, and finds nothing for no match', () => {
    expect(matchEntryPoints(app, './src/index.js')).toEqual(['src/index.js']);
    expect(matchEntryPoints(app, '**/*.js').sort()).toEqual([
      'src/functions/a.js',
      'src/functions/b.js',
      'src/functions/nested/c.js',
      'src/index.js',
    ]);
    expect(matchEntryPoints(app, 'dist/src/index.js')).toEqual([]);
  });
});
