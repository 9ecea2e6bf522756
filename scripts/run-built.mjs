// Runs a compiled script of dist/scripts/, building first only when dist/ is older than the sources (a .ts file
// under src/, scripts/ or tools/ newer than its .js, or a missing .js). So `npm run enqueue` and `npm run golive`
// take well under a second when dist/ is current and never rewrite dist/ under a running host for nothing.
//
//   node scripts/run-built.mjs <script> [args...]     (e.g. enqueue, golive)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [script, ...args] = process.argv.slice(2);
if (!script || !/^[a-z][a-zA-Z0-9-]*$/.test(script)) {
  process.stderr.write('Usage: node scripts/run-built.mjs <script> [args...]\n');
  process.exit(64);
}

/** The first source whose compiled file is missing or older, if any. */
function staleSource() {
  for (const top of ['src', 'scripts', 'tools']) {
    const stack = [path.join(root, top)];
    while (stack.length) {
      const dir = stack.pop();
      if (!existsSync(dir)) continue;
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) stack.push(full);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
          const out = path.join(root, 'dist', path.relative(root, full)).replace(/\.ts$/, '.js');
          if (!existsSync(out) || statSync(out).mtimeMs < statSync(full).mtimeMs) return path.relative(root, full);
        }
      }
    }
  }
  return undefined;
}

const stale = staleSource();
if (stale) {
  process.stderr.write(`Building: ${stale} is newer than dist/ ...\n`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const built = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const child = spawn(process.execPath, [path.join(root, 'dist', 'scripts', `${script}.js`), ...args], {
  stdio: 'inherit',
});
// Ctrl-C reaches the child too (same process group); wait for it to end and pass on its exit code.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 1)));
