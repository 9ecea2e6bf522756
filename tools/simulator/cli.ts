/**
 * `npm run simulator`: the partner API simulator alone, until Ctrl-C.
 *
 *   node dist/tools/simulator/cli.js [--port N] [--host H] [--duration-ms N] [--variant NAME | --variants SEED]
 *
 * Port: `--port`, else `SIMULATOR_PORT`, else 7080 (0 = a free port). Token: `PARTNER_API_TOKEN`, else the default
 * development token. The token is never printed when it comes from the environment.
 */
import {
  DEFAULT_TOKEN,
  PortInUseError,
  SEEDED_OFFERS,
  startSimulator,
  variantFor,
  variantNamed,
  VARIANTS,
} from './index';

export const DEFAULT_PORT = 7080;

interface CliOptions {
  port: number;
  host: string;
  durationMs?: number;
  /** Every offer answers as this variant. */
  variant?: string;
  /** Every offer draws a variant from this seed. */
  variantSeed?: number;
}

/** A bad command line; the message says what was wrong. */
export class CliUsageError extends Error {
  readonly code = 'CliUsage';
  override readonly name = 'CliUsageError';
}

const USAGE = `Usage: npm run simulator -- [--port N] [--host HOST] [--duration-ms N] [--variant NAME | --variants SEED]
Variants: ${VARIANTS.map((v) => v.name).join(', ')}`;

function toInt(name: string, value: string | undefined, max: number): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isInteger(n) || n < 0 || n > max) {
    throw new CliUsageError(`${name} must be an integer from 0 to ${max}, not "${value ?? ''}".\n${USAGE}`);
  }
  return n;
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  const options: CliOptions = {
    port: env['SIMULATOR_PORT'] ? toInt('SIMULATOR_PORT', env['SIMULATOR_PORT'], 65_535) : DEFAULT_PORT,
    host: '127.0.0.1',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=') ? (arg.split('=', 2) as [string, string]) : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--port':
        options.port = toInt('--port', value(), 65_535);
        break;
      case '--host':
        options.host = value() ?? '';
        if (!options.host) throw new CliUsageError(`--host needs a value.\n${USAGE}`);
        break;
      case '--duration-ms':
        options.durationMs = toInt('--duration-ms', value(), 7 * 24 * 3_600_000);
        break;
      case '--variant': {
        const name = value() ?? '';
        try {
          variantNamed(name);
        } catch (e) {
          throw new CliUsageError(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
        }
        options.variant = name;
        break;
      }
      case '--variants':
        options.variantSeed = toInt('--variants', value(), 2 ** 31 - 1);
        break;
      case '--help':
      case '-h':
        throw new CliUsageError(USAGE);
      default:
        throw new CliUsageError(`Unknown argument "${arg}".\n${USAGE}`);
    }
  }
  if (options.variant !== undefined && options.variantSeed !== undefined) {
    throw new CliUsageError(`--variant and --variants exclude each other.\n${USAGE}`);
  }
  return options;
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
    return;
  }
  const envToken = process.env['PARTNER_API_TOKEN'];
  let sim;
  try {
    sim = await startSimulator({
      port: options.port,
      host: options.host,
      token: envToken || DEFAULT_TOKEN,
      defaults: {
        ...(options.variant === undefined ? {} : variantNamed(options.variant).patch),
        ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
      },
      ...(options.variantSeed === undefined ? {} : { variantSeed: options.variantSeed }),
    });
  } catch (e) {
    if (e instanceof PortInUseError) {
      process.stderr.write(
        `Port ${e.port} is already in use. Start the simulator on another port with --port N ` +
          `(npm run simulator -- --port N) or SIMULATOR_PORT=N, and point PARTNER_API_BASE_URL and ` +
          `PRODUCT_INGESTION_BASE_URL at it.\n`,
      );
      process.exitCode = 1;
      return;
    }
    throw e;
  }
  const tokenRef = envToken ? '$PARTNER_API_TOKEN' : `\${PARTNER_API_TOKEN:-${DEFAULT_TOKEN}}`;
  const [first] = SEEDED_OFFERS;
  const lines = [
    `Partner API simulator listening on ${sim.url}`,
    `  Cloud Partner Portal API: ${sim.url}/api/publishers/{publisherId}/offers/{offerId}/...?api-version=2017-10-31`,
    `  Product Ingestion API:    ${sim.url}/rp/product-ingestion/...?$version=2022-03-01-preview2`,
    `  Admin API:                ${sim.url}/_admin/offers, /_admin/requests, /_admin/reset`,
    `  Other origin (records requests, answers 404): ${sim.otherOriginUrl}`,
    `  Token: ${envToken ? 'the PARTNER_API_TOKEN setting' : 'the default development token (local.settings.sample.json)'}`,
    'Seeded offers (ready for go-live):',
    ...SEEDED_OFFERS.map((o) => {
      const drawn =
        options.variantSeed === undefined
          ? options.variant
          : variantFor(options.variantSeed, o.publisherId, o.offerId).name;
      return `  ${o.publisherId}/${o.offerId}${drawn === undefined ? '' : `  (variant ${drawn})`}`;
    }),
    'Try:',
    `  curl -i -X POST -H "Authorization: Bearer ${tokenRef}" ` +
      `"${sim.url}/api/publishers/${first?.publisherId}/offers/${first?.offerId}/golive?api-version=2017-10-31"`,
    'Press Ctrl-C to stop.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const stop = () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    void sim.close().then(() => process.stdout.write('Simulator stopped.\n'));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`simulator: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
