/**
 * `npm run soak`: the fault soak (scripts/soak/run.ts). Prints the report; exits 1 on any loss, duplicate, secret
 * finding or bad-input problem.
 *
 *   npm run soak [-- --profile full|ci] [--seed N] [--fuzz N] [--keep-data] [--help]   (exit 64 on a bad command line)
 */
import { intValue, parseCommandLine, UsageError, usageExit } from '../tools/cliArgs';
import { freshSeed } from './soak/prng';
import { formatReport, PROFILES, runSoak } from './soak/run';

const USAGE = 'Usage: npm run soak -- [--profile full|ci] [--seed N] [--fuzz N] [--keep-data] [--help]';

export const OPTIONS = {
  profile: { type: 'string', default: 'full' },
  seed: { type: 'string' },
  fuzz: { type: 'string' },
  'keep-data': { type: 'boolean', default: false },
} as const;

export function parseArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { profile: string; seed: number; fuzz?: number; keepData: boolean } {
  const { values } = parseCommandLine(argv, USAGE, OPTIONS);
  if (!PROFILES[values.profile]) throw new UsageError(`Unknown profile "${values.profile}".`, USAGE);
  const int = (name: string, v: string): number => intValue(name, v, 0, Number.MAX_SAFE_INTEGER, USAGE);
  const seedText = values.seed ?? env['SOAK_SEED'];
  return {
    profile: values.profile,
    seed: seedText === undefined ? freshSeed() : int(values.seed === undefined ? 'SOAK_SEED' : '--seed', seedText),
    ...(values.fuzz === undefined ? {} : { fuzz: int('--fuzz', values.fuzz) }),
    keepData: values['keep-data'],
  };
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    const code = usageExit(e);
    if (code === undefined) throw e;
    process.exitCode = code;
    return;
  }
  const base = PROFILES[args.profile];
  if (!base) throw new UsageError(`Unknown profile "${args.profile}".`, USAGE);
  const profile = args.fuzz === undefined ? base : { ...base, fuzz: args.fuzz };
  const started = Date.now();
  const log = (line: string): void => {
    process.stdout.write(`[soak +${Math.round((Date.now() - started) / 1000)}s] ${line}\n`);
  };
  const report = await runSoak({ profile, seed: args.seed, log, keepData: args.keepData });
  process.stdout.write(`\n${formatReport(report)}\n`);
  process.exitCode = report.problems.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`soak failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
