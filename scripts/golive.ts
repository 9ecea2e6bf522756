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
         --interval SECONDS (watch: between reads, default 2)`;

export const EXIT_USAGE = 64;

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'Usage';
}

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

const COMMANDS = ['watch', 'status', 'list', 'cancel', 'events'] as const;

export function parseArgs(argv: readonly string[]): GoliveArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') throw new UsageError(USAGE);
  if (!(COMMANDS as readonly string[]).includes(command))
    throw new UsageError(`Unknown command "${command}".\n${USAGE}`);
  const args: GoliveArgs = { command: command as GoliveArgs['command'], json: false, follow: false, wait: false };
  let offer: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const m = /^--(url|key|state|interval|request-id)(?:=(.*))?$/.exec(arg);
    if (m) {
      const value = m[2] ?? rest[++i];
      if (value === undefined) throw new UsageError(`--${m[1]} needs a value.\n${USAGE}`);
      if (m[1] === 'url') args.url = value;
      if (m[1] === 'key') args.key = value;
      if (m[1] === 'request-id') args.requestId = value;
      if (m[1] === 'state') {
        if (!(STATE_FILTERS as readonly string[]).includes(value)) {
          throw new UsageError(`--state must be one of ${STATE_FILTERS.join(', ')}.`);
        }
        args.state = value;
      }
      if (m[1] === 'interval') {
        const n = Number(value);
        if (!(n >= 0.2 && n <= 3600)) throw new UsageError('--interval must be seconds from 0.2 to 3600.');
        args.intervalSeconds = n;
      }
    } else if (arg === '--json') args.json = true;
    else if (arg === '--follow') args.follow = true;
    else if (arg === '--wait') args.wait = true;
    else if (arg.startsWith('-')) throw new UsageError(`Unknown option ${arg}.\n${USAGE}`);
    else if (offer === undefined) offer = arg;
    else throw new UsageError(`Unexpected argument ${arg}.\n${USAGE}`);
  }
  const needsOffer = ['watch', 'status', 'cancel'].includes(args.command);
  if (needsOffer) {
    const [publisherId, offerId, extra] = (offer ?? '').split('/');
    if (!publisherId || !offerId || extra !== undefined) {
      throw new UsageError(`Give the offer as {publisherId}/{offerId}.\n${USAGE}`);
    }
    args.publisherId = publisherId;
    args.offerId = offerId;
  } else if (offer !== undefined) {
    throw new UsageError(`Unexpected argument ${offer}.\n${USAGE}`);
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
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.write(`${USAGE}\n`);
    return 0;
  }
  let args: GoliveArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    io.error(`${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_USAGE;
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
