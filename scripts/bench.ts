/**
 * `npm run bench [-- NAME ...]`: runs the benchmarks in scripts/bench/ (all, or those named) and prints figures.
 * Each module exports `run(print)`; figures are printed, never asserted. Exit 64 on a bad command line (an
 * unknown option or benchmark).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { parseCommandLine, UsageError, usageExit } from '../tools/cliArgs';

const USAGE = 'Usage: npm run bench [-- NAME ...] [--help]   (NAME: a benchmark of scripts/bench/, all by default)';

interface BenchModule {
  description?: string;
  run(print: (line: string) => void): Promise<void>;
}

async function main(): Promise<void> {
  const wanted = parseCommandLine(process.argv.slice(2), USAGE, {}, { positionals: true }).positionals;
  const dir = join(__dirname, 'bench');
  const all = readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
  const unknown = wanted.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    throw new UsageError(`No benchmark named ${unknown.join(', ')} (there are ${all.join(', ')}).`, USAGE);
  }
  const names = all.filter((n) => wanted.length === 0 || wanted.includes(n));
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
  const usage = usageExit(e);
  if (usage !== undefined) process.exit(usage);
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
