/**
 * `npm run simulator`: the partner API simulator alone, until Ctrl-C.
 *
 *   node dist/tools/simulator/cli.js [--port N] [--host H] [--duration-ms N] [--variant NAME | --variants SEED] [--help]
 *   (exit 64 on a bad command line)
 *
 * Port: `--port`, else `SIMULATOR_PORT`, else 7080 (0 = a free port). Token: `PARTNER_API_TOKEN`, else the default
 * development token. The token is never printed when it comes from the environment.
 */
import { intValue, parseCommandLine, UsageError, usageExit } from '../cliArgs';
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

const USAGE = `Usage: npm run simulator -- [--port N] [--host HOST] [--duration-ms N] [--variant NAME | --variants SEED] [--help]
Variants: ${VARIANTS.map((v) => v.name).join(', ')}
Exit 64 on a bad command line.`;

export const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string', default: '127.0.0.1' },
  'duration-ms': { type: 'string' },
  variant: { type: 'string' },
  variants: { type: 'string' },
} as const;

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  const { values } = parseCommandLine(argv, USAGE, OPTIONS);
  const envPort = env['SIMULATOR_PORT'];
  const options: CliOptions = {
    port:
      values.port !== undefined
        ? intValue('--port', values.port, 0, 65_535, USAGE)
        : envPort
          ? intValue('SIMULATOR_PORT', envPort, 0, 65_535, USAGE)
          : DEFAULT_PORT,
    host: values.host,
  };
  if (!options.host) throw new UsageError('--host needs a value.', USAGE);
  if (values['duration-ms'] !== undefined) {
    options.durationMs = intValue('--duration-ms', values['duration-ms'], 0, 7 * 24 * 3_600_000, USAGE);
  }
  if (values.variant !== undefined) {
    try {
      variantNamed(values.variant);
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e), USAGE);
    }
    options.variant = values.variant;
  }
  if (values.variants !== undefined)
    options.variantSeed = intValue('--variants', values.variants, 0, 2 ** 31 - 1, USAGE);
  if (options.variant !== undefined && options.variantSeed !== undefined) {
    throw new UsageError('--variant and --variants exclude each other.', USAGE);
  }
  return options;
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2), process.env);
  } catch (e) {
    const code = usageExit(e);
    if (code === undefined) throw e;
    process.exitCode = code;
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
