/**
 * `npm run enqueue -- {publisherId}/{offerId} [--requested-by TEXT] [--request-id ID] [--api cpp|productIngestion]`
 *
 * Puts a go-live request on the requests queue with `@azure/storage-queue`, base64-encoded as the Functions queue
 * trigger expects (host.json `extensions.queues.messageEncoding: base64`). The connection comes from
 * `AzureWebJobsStorage` in the environment, else from local.settings.json (or local.settings.sample.json) `Values`;
 * `UseDevelopmentStorage=true` means Azurite on its default ports. Identity-based `AzureWebJobsStorage__queueServiceUri`
 * is used with `DefaultAzureCredential`. Creates the queue if it is missing. Never prints a key.
 *
 * `--wait` then follows the run that takes the request as `npm run golive -- watch` does (over the HTTP API at
 * `--url` / `GOLIVE_URL` with `--key` / `GOLIVE_KEY`) and exits 0 succeeded, 1 failed, 2 canceled or timedOut,
 * 3 rejected, 4 could not reach the app.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DefaultAzureCredential } from '@azure/identity';
import { QueueServiceClient, type StoragePipelineOptions } from '@azure/storage-queue';

import { validateGoLiveRequest } from '../src/golive/request';
import { EXIT_USAGE, parseCommandLine, UsageError, usageExit } from '../tools/cliArgs';
import { appTarget } from './golive/api';
import { peekEvents } from './golive/events';
import { EXIT, watchRun } from './golive/watch';

/** Azurite's documented, public development account (the same for every Azurite install). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export const AZURITE_CONNECTION =
  `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
  `QueueEndpoint=http://127.0.0.1:10001/${DEV_ACCOUNT};`;

export class EnqueueError extends Error {
  override readonly name = 'EnqueueError';
  constructor(
    readonly code: 'InvalidRequest' | 'NoConnection' | 'StorageUnreachable' | 'StorageError',
    message: string,
  ) {
    super(message);
  }
}

export interface EnqueueArgs {
  publisherId: string;
  offerId: string;
  requestedBy?: string;
  requestId?: string;
  api?: string;
  /** Follow the run to its end. */
  wait?: boolean;
  url?: string;
  key?: string;
}

export const USAGE =
  'Usage: npm run enqueue -- {publisherId}/{offerId} [--requested-by TEXT] [--request-id ID] [--api cpp|productIngestion]\n' +
  '                          [--wait [--url URL] [--key KEY]] [--help]\n' +
  'Exit 64 on a bad command line or request.';

export const OPTIONS = {
  'requested-by': { type: 'string' },
  'request-id': { type: 'string' },
  api: { type: 'string' },
  wait: { type: 'boolean' },
  url: { type: 'string' },
  key: { type: 'string' },
} as const;

/** The command line, with the request checked as the queue trigger checks it (a `UsageError` otherwise). */
export function parseArgs(argv: readonly string[]): EnqueueArgs {
  const { values, positionals } = parseCommandLine(argv, USAGE, OPTIONS, { positionals: true });
  const [target, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`Unexpected argument ${extra}.`, USAGE);
  const [publisherId, offerId, rest] = (target ?? '').split('/');
  if (!publisherId || !offerId || rest !== undefined) {
    throw new UsageError('Give the offer as {publisherId}/{offerId}.', USAGE);
  }
  const args: EnqueueArgs = { publisherId, offerId };
  if (values['requested-by'] !== undefined) args.requestedBy = values['requested-by'];
  if (values['request-id'] !== undefined) args.requestId = values['request-id'];
  if (values.api !== undefined) args.api = values.api;
  if (values.wait === true) args.wait = true;
  if (values.url !== undefined) args.url = values.url;
  if (values.key !== undefined) args.key = values.key;
  if (!args.wait && (args.url !== undefined || args.key !== undefined)) {
    throw new UsageError('--url and --key go with --wait.', USAGE);
  }
  try {
    requestMessage(args);
  } catch (e) {
    if (e instanceof EnqueueError) throw new UsageError(e.message, USAGE);
    throw e;
  }
  return args;
}

/** The request message text, validated with the same schema as the queue trigger. */
export function requestMessage(args: EnqueueArgs): string {
  const body: Record<string, string> = { publisherId: args.publisherId, offerId: args.offerId };
  if (args.requestId !== undefined) body.requestId = args.requestId;
  if (args.requestedBy !== undefined) body.requestedBy = args.requestedBy;
  if (args.api !== undefined) body.api = args.api;
  const checked = validateGoLiveRequest(body, { messageId: 'placeholder-id', defaultApi: 'cpp' });
  if (!checked.ok) throw new EnqueueError('InvalidRequest', `Invalid request: ${checked.reason}`);
  return JSON.stringify(body);
}

export type StorageConnection =
  | { kind: 'connectionString'; value: string; source: string }
  | { kind: 'identity'; queueServiceUri: string; source: string };

function localSettingsValues(dir: string): { values: Record<string, unknown>; source: string } | undefined {
  for (const name of ['local.settings.json', 'local.settings.sample.json']) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
    return { values: parsed.Values ?? {}, source: name };
  }
  return undefined;
}

/** Where the queue lives: environment first, then local.settings.json(.sample) in `dir`. */
export function resolveConnection(env: NodeJS.ProcessEnv, dir: string): StorageConnection {
  const fromEnv = env.AzureWebJobsStorage;
  const local = localSettingsValues(dir);
  const value = fromEnv && fromEnv.trim() !== '' ? fromEnv : local?.values.AzureWebJobsStorage;
  const source = fromEnv && fromEnv.trim() !== '' ? 'AzureWebJobsStorage (environment)' : `${local?.source} Values`;
  if (typeof value === 'string' && value.trim() !== '') {
    if (/^\s*UseDevelopmentStorage\s*=\s*true\s*;?\s*$/i.test(value)) {
      return { kind: 'connectionString', value: AZURITE_CONNECTION, source: `${source} (Azurite)` };
    }
    return { kind: 'connectionString', value, source };
  }
  const uri =
    env.AzureWebJobsStorage__queueServiceUri ??
    (typeof local?.values.AzureWebJobsStorage__queueServiceUri === 'string'
      ? local.values.AzureWebJobsStorage__queueServiceUri
      : undefined);
  if (uri) return { kind: 'identity', queueServiceUri: uri, source: 'AzureWebJobsStorage__queueServiceUri' };
  throw new EnqueueError(
    'NoConnection',
    'No storage connection: set AzureWebJobsStorage (or AzureWebJobsStorage__queueServiceUri), or copy local.settings.sample.json to local.settings.json.',
  );
}

/** A queue name setting (`GOLIVE_REQUESTS_QUEUE`, `GOLIVE_EVENTS_QUEUE`): environment, local settings, default. */
export function queueSetting(env: NodeJS.ProcessEnv, dir: string, name: string, fallback: string): string {
  const fromEnv = env[name];
  if (fromEnv && fromEnv.trim() !== '') return fromEnv.trim();
  const local = localSettingsValues(dir)?.values[name];
  return typeof local === 'string' && local.trim() !== '' ? local.trim() : fallback;
}

function queueName(env: NodeJS.ProcessEnv, dir: string): string {
  return queueSetting(env, dir, 'GOLIVE_REQUESTS_QUEUE', 'golive-requests');
}

/** The queue service of a connection; fails fast (2 tries, 5 s each) when the storage cannot be reached. */
export function queueService(connection: StorageConnection): QueueServiceClient {
  const pipeline: StoragePipelineOptions = {
    retryOptions: { maxTries: 2, tryTimeoutInMs: 5_000, retryDelayInMs: 200 },
  };
  return connection.kind === 'connectionString'
    ? QueueServiceClient.fromConnectionString(connection.value, pipeline)
    : new QueueServiceClient(connection.queueServiceUri, new DefaultAzureCredential(), pipeline);
}

export interface EnqueueResult {
  messageId: string;
  queueName: string;
  queueUrl: string;
  message: string;
}

/** Sends one request. Fails fast with a clear message when the storage cannot be reached. */
export async function enqueueRequest(
  args: EnqueueArgs,
  options: { env?: NodeJS.ProcessEnv; dir?: string } = {},
): Promise<EnqueueResult> {
  const env = options.env ?? process.env;
  const dir = options.dir ?? process.cwd();
  const message = requestMessage(args);
  const connection = resolveConnection(env, dir);
  const service = queueService(connection);
  const name = queueName(env, dir);
  const queue = service.getQueueClient(name);
  const queueUrl = queue.url.split('?')[0] ?? queue.url;
  try {
    await queue.createIfNotExists();
    const sent = await queue.sendMessage(Buffer.from(message, 'utf8').toString('base64'));
    return { messageId: sent.messageId, queueName: name, queueUrl, message };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const unreachable =
      typeof code === 'string' && /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|REQUEST_SEND_ERROR/.test(code);
    if (unreachable) {
      throw new EnqueueError(
        'StorageUnreachable',
        `Cannot reach the queue service at ${new URL(queueUrl).origin} (${code}) from ${connection.source}. ` +
          'Locally, start Azurite with the app: npm start.',
      );
    }
    const status = (e as { statusCode?: unknown }).statusCode;
    throw new EnqueueError(
      'StorageError',
      `Could not put the request on ${queueUrl}${typeof status === 'number' ? ` (HTTP ${status})` : ''}: ${
        e instanceof Error ? e.message.split('\n')[0] : String(e)
      }`,
    );
  }
}

/** A `golive.rejected` event for the message, as its reason. */
async function rejectionOf(messageId: string, env: NodeJS.ProcessEnv, dir: string): Promise<string | undefined> {
  const queue = queueService(resolveConnection(env, dir)).getQueueClient(
    queueSetting(env, dir, 'GOLIVE_EVENTS_QUEUE', 'golive-events'),
  );
  const events = await peekEvents(queue).catch(() => []);
  const rejected = events.find((e) => e.type === 'golive.rejected' && e.data.messageId === messageId);
  return rejected ? String(rejected.data.reason) : undefined;
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const args = parseArgs(argv);
  const result = await enqueueRequest(args, { env });
  const requestId = args.requestId ?? result.messageId;
  console.log(`Enqueued a go-live request for ${args.publisherId}/${args.offerId} on ${result.queueName}`);
  console.log(`  message id: ${result.messageId}`);
  console.log(`  request id: ${requestId}${args.requestId === undefined ? ' (the message id)' : ''}`);
  if (!args.wait) {
    console.log('Watch the run:');
    console.log(`  npm run golive -- watch ${args.publisherId}/${args.offerId}`);
    return 0;
  }
  let target;
  try {
    target = appTarget(args, env);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return EXIT.unreachable;
  }
  return watchRun({
    target,
    publisherId: args.publisherId,
    offerId: args.offerId,
    requestId,
    rejected: () => rejectionOf(result.messageId, env, process.cwd()),
    tty: Boolean(process.stdout.isTTY),
    write: (text) => process.stdout.write(text),
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      const usage = usageExit(e);
      if (usage !== undefined) process.exit(usage);
      console.error(e instanceof Error ? e.message : String(e));
      const code = e instanceof EnqueueError ? e.code : '';
      process.exit(code === 'InvalidRequest' ? EXIT_USAGE : code === 'StorageUnreachable' ? EXIT.unreachable : 1);
    },
  );
}
