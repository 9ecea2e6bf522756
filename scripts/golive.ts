/**
 * `npm run golive -- <command>`: watch and steer go-lives from a terminal or a pipeline, over the app's HTTP API
 * (and the events queue for `events`). `--url` / `GOLIVE_URL` (default http://localhost:7071) and `--key` /
 * `GOLIVE_KEY` (the function key) follow a deployed app exactly as `npm start`.
 *
 *   watch  {publisherId}/{offerId} [--request-id ID]  follow the run (that took the request) to its end; exit 0 succeeded, 1 failed,
 *                                            2 canceled/timedOut, 3 rejected, 4 could not reach the app
 *   status {publisherId}/{offerId} [--json]  the current or last run
 *   list   [--state STATE] [--json]          runs, newest first
 *   cancel {publisherId}/{offerId} [--wait]  cancel the active run (and follow it to its end)
 *   events [--follow] [--json]               completion and rejection events on golive-events
 */
import { formatDuration, plainAnswer, textBar } from '../src/console/answers';
import { readRunList, readRunModel, STATE_FILTERS } from '../src/console/runModel';
import { ID_PATTERN } from '../src/golive/request';
import { asksForHelp, EXIT_USAGE, HelpRequested, parseCommandLine, UsageError, usageExit } from '../tools/cliArgs';
import { queueService, queueSetting, resolveConnection } from './enqueue';
import { type AppTarget, appTarget, callApi, UnreachableError } from './golive/api';
import { eventLine, peekEvents } from './golive/events';
import { endLines, EXIT, watchRun } from './golive/watch';

export const USAGE = `Usage: npm run golive -- <command> [options]
  watch  {publisherId}/{offerId}            follow the run to its end (exit 0 succeeded, 1 failed,
         [--request-id ID]                  2 canceled/timedOut, 3 rejected, 4 could not reach the app);
                                            with --request-id, the run that took that request
  status {publisherId}/{offerId} [--json]   the offer's current or last run
  list   [--state STATE] [--json]           runs, newest first
  cancel {publisherId}/{offerId} [--wait]   cancel the active run
  events [--follow] [--json]                completion and rejection events (golive-events)
Options: --url URL (GOLIVE_URL, default http://localhost:7071)  --key KEY (GOLIVE_KEY: the function key)
         --interval SECONDS (watch: between reads, default 2)  --help (this text; also after any command)
Exit 64 on a bad command line.`;

export { EXIT_USAGE };

export interface GoliveArgs {
  command: 'watch' | 'status' | 'list' | 'cancel' | 'events';
  publisherId?: string;
  offerId?: string;
  url?: string;
  key?: string;
  state?: string;
  json: boolean;
  follow: boolean;
  wait: boolean;
  intervalSeconds?: number;
  requestId?: string;
}

export const COMMANDS = ['watch', 'status', 'list', 'cancel', 'events'] as const;

/** Each command's options (any other is a usage error). */
export const OPTIONS = {
  watch: {
    url: { type: 'string' },
    key: { type: 'string' },
    interval: { type: 'string' },
    'request-id': { type: 'string' },
  },
  status: { url: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' } },
  list: { url: { type: 'string' }, key: { type: 'string' }, state: { type: 'string' }, json: { type: 'boolean' } },
  cancel: { url: { type: 'string' }, key: { type: 'string' }, wait: { type: 'boolean' } },
  events: { follow: { type: 'boolean' }, json: { type: 'boolean' } },
} as const;

/** `{publisherId}/{offerId}`, each as the app accepts it. */
export function offerArg(text: string | undefined, usage: string): { publisherId: string; offerId: string } {
  const [publisherId, offerId, extra] = (text ?? '').split('/');
  if (!publisherId || !offerId || extra !== undefined) {
    throw new UsageError('Give the offer as {publisherId}/{offerId}.', usage);
  }
  for (const [name, id] of [
    ['publisherId', publisherId],
    ['offerId', offerId],
  ] as const) {
    if (!ID_PATTERN.test(id)) {
      throw new UsageError(`${name} "${id}" must be 1-50 lowercase letters, digits, "-" or "_".`, usage);
    }
  }
  return { publisherId, offerId };
}

export function parseArgs(argv: readonly string[]): GoliveArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || asksForHelp([command])) throw new HelpRequested(USAGE);
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`Unknown command "${command}".`, USAGE);
  const name = command as GoliveArgs['command'];
  const { values, positionals } = parseCommandLine(
    rest,
    USAGE,
    OPTIONS[name] as Record<string, { type: 'string' | 'boolean' }>,
    {
      positionals: true,
    },
  );
  const text = (key: string): string | undefined => {
    const v = values[key];
    return typeof v === 'string' ? v : undefined;
  };
  const args: GoliveArgs = {
    command: name,
    json: values.json === true,
    follow: values.follow === true,
    wait: values.wait === true,
  };
  if (text('url') !== undefined) args.url = text('url');
  if (text('key') !== undefined) args.key = text('key');
  if (text('request-id') !== undefined) args.requestId = text('request-id');
  const state = text('state');
  if (state !== undefined) {
    if (!(STATE_FILTERS as readonly string[]).includes(state)) {
      throw new UsageError(`--state must be one of ${STATE_FILTERS.join(', ')}.`, USAGE);
    }
    args.state = state;
  }
  const interval = text('interval');
  if (interval !== undefined) {
    const n = Number(interval);
    if (!(n >= 0.2 && n <= 3600)) throw new UsageError('--interval must be seconds from 0.2 to 3600.', USAGE);
    args.intervalSeconds = n;
  }
  const [offer, extra] = positionals;
  if (['watch', 'status', 'cancel'].includes(name)) {
    if (extra !== undefined) throw new UsageError(`Unexpected argument ${extra}.`, USAGE);
    Object.assign(args, offerArg(offer, USAGE));
  } else if (offer !== undefined) {
    throw new UsageError(`Unexpected argument ${offer}.`, USAGE);
  }
  return args;
}

export interface Io {
  write: (text: string) => void;
  error: (text: string) => void;
  tty: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const processIo = (): Io => ({
  write: (t) => process.stdout.write(t),
  error: (t) => process.stderr.write(t),
  tty: Boolean(process.stdout.isTTY),
  env: process.env,
  cwd: process.cwd(),
});

async function status(target: AppTarget, args: GoliveArgs, io: Io): Promise<number> {
  const offer = `${args.publisherId}/${args.offerId}`;
  const answer = await callApi(target, `/${args.publisherId}/${args.offerId}`);
  if (args.json) {
    io.write(`${JSON.stringify(answer.body, null, 2)}\n`);
    return answer.status === 200 ? 0 : EXIT.failed;
  }
  const run = answer.status === 200 ? readRunModel(answer.body) : undefined;
  if (!run) {
    io.error(`${plainAnswer('read', offer, answer.status, answer.body).text}\n`);
    return EXIT.failed;
  }
  io.write(`${run.key} run ${run.runNumber ?? '?'} (${run.runId}): ${run.state}\n`);
  io.write(
    `  operation ${run.operationId ?? '—'}, partner status ${run.operationStatus ?? '—'}, ${run.pollCount} checks\n`,
  );
  io.write(`  ${textBar(run.progress, 30)}\n`);
  for (const s of run.steps)
    io.write(`  ${s.done ? '✓' : ' '} ${s.name}: ${s.status}${s.progress === null ? '' : ` ${s.progress}%`}\n`);
  io.write(`  requests: ${run.requests.map((r) => r.requestId).join(', ') || '—'}\n`);
  if (run.active) {
    io.write(`  next check: ${run.nextCheckAt ?? '—'}${run.nextCheckReason ? ` (${run.nextCheckReason})` : ''}\n`);
    if (run.expectedEnd) {
      const e = run.expectedEnd;
      const range = e.earliest && e.latest ? `, likely ${e.earliest} to ${e.latest}` : '';
      io.write(`  expected end: ${e.at}${range}${e.basis ? ` (${e.basis})` : ''}\n`);
    }
  } else for (const line of endLines({ ...run, completionEvent: null })) io.write(`${line}\n`);
  return 0;
}

async function list(target: AppTarget, args: GoliveArgs, io: Io): Promise<number> {
  const query = new URLSearchParams({ limit: '200' });
  if (args.state) query.set('state', args.state);
  const answer = await callApi(target, `?${query.toString()}`);
  if (answer.status !== 200) {
    io.error(`${plainAnswer('read', '', answer.status, answer.body).text}\n`);
    return EXIT.failed;
  }
  if (args.json) {
    io.write(`${JSON.stringify(answer.body, null, 2)}\n`);
    return 0;
  }
  const runs = readRunList(answer.body);
  if (runs.length === 0) io.write('No runs.\n');
  const width = Math.max(5, ...runs.map((r) => r.key.length));
  for (const r of runs) {
    const step = r.currentStep ? `${r.currentStep.name} ${r.progress ?? 0}%` : '';
    const took = r.durationSeconds === null ? '' : ` (${formatDuration(r.durationSeconds)})`;
    io.write(`${r.key.padEnd(width)}  ${r.state.padEnd(10)}  ${r.startedAt ?? ''}  ${step}${took}\n`);
  }
  return 0;
}

async function cancel(target: AppTarget, args: GoliveArgs, io: Io): Promise<number> {
  const offer = `${args.publisherId}/${args.offerId}`;
  const answer = await callApi(target, `/${args.publisherId}/${args.offerId}/cancel`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requestedBy: 'golive cancel' }),
  });
  const plain = plainAnswer('cancel', offer, answer.status, answer.body);
  if (plain.ok) io.write(`${plain.text}\n`);
  else io.error(`${plain.text}\n`);
  if (!plain.ok) return EXIT.failed;
  if (!args.wait) return 0;
  return watchRun({ target, publisherId: args.publisherId!, offerId: args.offerId!, tty: io.tty, write: io.write });
}

async function events(args: GoliveArgs, io: Io): Promise<number> {
  const connection = resolveConnection(io.env, io.cwd);
  const queue = queueService(connection).getQueueClient(
    queueSetting(io.env, io.cwd, 'GOLIVE_EVENTS_QUEUE', 'golive-events'),
  );
  const seen = new Set<string>();
  for (;;) {
    let peeked;
    try {
      peeked = await peekEvents(queue);
    } catch (e) {
      io.error(`Cannot read ${queue.name}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
      return EXIT.unreachable;
    }
    for (const e of peeked) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      io.write(`${args.json ? JSON.stringify(e.raw) : eventLine(e)}\n`);
    }
    if (!args.follow) {
      if (peeked.length === 0) io.write(`No events on ${queue.name}.\n`);
      return 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let args: GoliveArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    const code = usageExit(e, io);
    if (code === undefined) throw e;
    return code;
  }
  try {
    if (args.command === 'events') return await events(args, io);
    const target = appTarget(args, io.env);
    switch (args.command) {
      case 'watch':
        return await watchRun({
          target,
          publisherId: args.publisherId!,
          offerId: args.offerId!,
          tty: io.tty,
          write: io.write,
          ...(args.intervalSeconds !== undefined ? { intervalMs: args.intervalSeconds * 1000 } : {}),
          ...(args.requestId !== undefined ? { requestId: args.requestId } : {}),
        });
      case 'status':
        return await status(target, args, io);
      case 'list':
        return await list(target, args, io);
      case 'cancel':
        return await cancel(target, args, io);
    }
  } catch (e) {
    if (e instanceof UnreachableError) {
      io.error(`${e.message}\n`);
      return EXIT.unreachable;
    }
    io.error(`${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
