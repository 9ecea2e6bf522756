/**
 * The command lines of the project's CLIs (scripts/*.ts, tools/host/cli.ts, tools/simulator/cli.ts), parsed with
 * `node:util` `parseArgs` and answered alike: `--help` (or `-h`) anywhere before `--` prints the usage on stdout and
 * exits 0; a usage error or a bad value prints what was wrong and the usage on stderr and exits 64 (EX_USAGE of
 * sysexits.h), never 1, which the go-live commands use for a failed go-live.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT_USAGE = 64;

/** A bad command line: the message says what was wrong; the usage follows it on stderr. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'Usage';
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(`${message}\n${usage}`);
  }
}

/** `--help` was asked for: the usage goes to stdout, exit 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
  constructor(readonly usage: string) {
    super(usage);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Whether `--help` or `-h` comes before any `--` (after it, arguments belong to another program). */
export function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * `parseArgs` in strict mode over `argv` with the CLI's options; throws `HelpRequested` for `--help` and a
 * `UsageError` (with `usage`) for an unknown option, a missing value or an unexpected argument.
 */
export function parseCommandLine<T extends Options>(
  argv: readonly string[],
  usage: string,
  options: T,
  { positionals = false }: { positionals?: boolean } = {},
): { values: ReturnType<typeof parseArgs<{ options: T; strict: true }>>['values']; positionals: string[] } {
  if (asksForHelp(argv)) throw new HelpRequested(usage);
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: positionals, strict: true });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError((e as Error).message, usage);
    }
    throw e;
  }
}

/** An integer option's value, checked against its range (a `UsageError` otherwise). */
export function intValue(name: string, value: string, min: number, max: number, usage: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, not "${value}".`, usage);
  }
  return n;
}

export interface UsageOutput {
  write: (text: string) => void;
  error: (text: string) => void;
}

const processOutput: UsageOutput = {
  write: (t) => process.stdout.write(t),
  error: (t) => process.stderr.write(t),
};

/**
 * The exit code for a `HelpRequested` (0, usage on stdout) or a `UsageError` (64, message and usage on stderr),
 * after printing; undefined for any other error (the CLI handles it).
 */
export function usageExit(err: unknown, out: UsageOutput = processOutput): number | undefined {
  if (err instanceof HelpRequested) {
    out.write(`${err.usage}\n`);
    return 0;
  }
  if (err instanceof UsageError) {
    out.error(`${err.message}\n`);
    return EXIT_USAGE;
  }
  return undefined;
}
