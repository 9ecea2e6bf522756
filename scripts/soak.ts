/**
 * `npm run soak`: the fault soak (scripts/soak/run.ts). Prints the report; exits 1 on any loss, duplicate, secret
 * finding or bad-input problem.
 *
 *   npm run soak [-- --profile full|ci] [--seed N] [--fuzz N] [--keep-data]
 */
import { freshSeed } from './soak/prng';
import { formatReport, PROFILES, runSoak } from './soak/run';

class UsageError extends Error {
  readonly code = 'Usage';
  override readonly name = 'UsageError';
}

const USAGE = 'Usage: npm run soak -- [--profile full|ci] [--seed N] [--fuzz N] [--keep-data]';

function parseArgs(argv: string[]): { profile: string; seed: number; fuzz?: number; keepData: boolean } {
  const out: { profile: string; seed: number; fuzz?: number; keepData: boolean } = {
    profile: 'full',
    seed: process.env['SOAK_SEED'] ? Number(process.env['SOAK_SEED']) : freshSeed(),
    keepData: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value.\n${USAGE}`);
      return v;
    };
    const int = (v: string): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a whole number, not "${v}".\n${USAGE}`);
      return n;
    };
    switch (flag) {
      case '--profile':
        out.profile = value();
        if (!PROFILES[out.profile]) throw new UsageError(`Unknown profile "${out.profile}".\n${USAGE}`);
        break;
      case '--seed':
        out.seed = int(value());
        break;
      case '--fuzz':
        out.fuzz = int(value());
        break;
      case '--keep-data':
        out.keepData = true;
        break;
      default:
        throw new UsageError(`Unknown argument "${arg}".\n${USAGE}`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
    return;
  }
  const base = PROFILES[args.profile];
  if (!base) throw new UsageError(USAGE);
  const profile = args.fuzz === undefined ? base : { ...base, fuzz: args.fuzz };
  const started = Date.now();
  const log = (line: string): void => {
    process.stdout.write(`[soak +${Math.round((Date.now() - started) / 1000)}s] ${line}\n`);
  };
  const report = await runSoak({ profile, seed: args.seed, log, keepData: args.keepData });
  process.stdout.write(`\n${formatReport(report)}\n`);
  process.exitCode = report.problems.length === 0 ? 0 : 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`soak failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
