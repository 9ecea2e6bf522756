/**
 * `npm run bench [-- NAME ...]`: runs the benchmarks in scripts/bench/ (all, or those named) and prints figures.
 * Each module exports `run(print)`; figures are printed, never asserted.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

interface BenchModule {
  description?: string;
  run(print: (line: string) => void): Promise<void>;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const dir = join(__dirname, 'bench');
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .filter((n) => wanted.length === 0 || wanted.includes(n))
    .sort();
  if (names.length === 0) throw new Error(`No benchmark matches ${wanted.join(', ')}`);
  for (const name of names) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(dir, `${name}.js`)) as BenchModule;
    console.log(`\n== ${name}${mod.description ? `: ${mod.description}` : ''}`);
    const started = Date.now();
    await mod.run((line) => console.log(`  ${line}`));
    console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
