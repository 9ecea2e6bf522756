// Runs a compiled script of dist/scripts/, building first only when dist/ is older than the sources (a .ts file
// under src/, scripts/ or tools/ newer than its .js, or a missing .js). So `npm run enqueue` and `npm run golive`
// take well under a second when dist/ is current and never rewrite dist/ under a running host for nothing, and
// `npm start` reports a port clash at once instead of after a build.
//
//   node scripts/run-built.mjs <script> [args...]     (a script of scripts/: enqueue, golive, soak, ...)
//   node scripts/run-built.mjs <dir>/<module> [args...] (any compiled module: tools/host/cli, tools/simulator/cli)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [script, ...args] = process.argv.slice(2);
if (!script || !/^[a-z][a-zA-Z0-9-]*(\/[a-zA-Z][a-zA-Z0-9-]*)*$/.test(script)) {
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

const entry = script.includes('/')
  ? path.join(root, 'dist', `${script}.js`)
  : path.join(root, 'dist', 'scripts', `${script}.js`);
const child = spawn(process.execPath, [entry, ...args], {
  stdio: 'inherit',
});
// Ctrl-C reaches the child too (same process group); wait for it to end and pass on its exit code.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 1)));
