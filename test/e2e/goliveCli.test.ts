/**
 * `npm run enqueue -- ... --wait` and `npm run golive -- watch|status|list|cancel|events` as a pipeline runs them
 * (the BUILT scripts, stdout not a terminal) against the local host with a function key, Azurite and the simulator.
 * Prints the time from an operation's change to `watch` showing it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

import { watchRun } from '../../scripts/golive/watch';
import { waitFor } from '../support/wait';
import { APP_DIR, type GoLiveStack, startGoLiveStack } from './support/goLiveStack';

jest.setTimeout(120_000);

const KEY = 'cli-test-key-77d2';
let stack: GoLiveStack;

beforeAll(async () => {
  stack = await startGoLiveStack({
    hubName: 'golivecli',
    durationMs: 4_000,
    functionKey: KEY,
    offers: [
      ['cli', 'ok-offer'],
      ['cli', 'fail-offer', { outcome: 'failed' }],
      ['cli', 'long-offer', { durationMs: 600_000 }],
    ],
  });
});

afterAll(async () => {
  await stack?.close();
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** When each stdout line arrived (ms since epoch). */
  lines: { at: number; text: string }[];
}

function run(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<Ran>; output: () => string } {
  const child = spawn(process.execPath, [path.join(APP_DIR, 'scripts', 'run-built.mjs'), script, ...args], {
    cwd: APP_DIR,
    env: {
      ...process.env,
      AzureWebJobsStorage: stack.azurite.connectionString,
      GOLIVE_URL: '',
      GOLIVE_KEY: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const result: Ran = { code: null, stdout: '', stderr: '', lines: [] };
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    result.stdout += chunk.toString();
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts) result.lines.push({ at: Date.now(), text });
  });
  child.stderr.on('data', (chunk: Buffer) => (result.stderr += chunk.toString()));
  const done = new Promise<Ran>((resolve) => child.on('exit', (code) => resolve({ ...result, code })));
  return { child, done, output: () => result.stdout };
}

const remote = (): string[] => ['--url', stack.base, '--key', KEY];

describe('npm run enqueue -- --wait', () => {
  it('prints one line per change, ends with the completion event and exits 0 when the run succeeds', async () => {
    const ran = await run('enqueue', ['cli/ok-offer', '--request-id', 'cli-ok-1', '--wait', ...remote()]).done;
    expect(ran.stderr).not.toMatch(/Building/);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/cli\/ok-offer run 1 \(.+\) (submitting|polling)/);
    expect(ran.stdout).toMatch(/step "Publisher signoff" complete/);
    expect(ran.stdout).toMatch(/cli\/ok-offer ended succeeded after \d+ s, \d+ checks/);
    const event = JSON.parse(ran.stdout.slice(ran.stdout.indexOf('Completion event:') + 'Completion event:'.length));
    expect(event).toMatchObject({ type: 'golive.succeeded', data: { requestIds: ['cli-ok-1'], outcome: 'succeeded' } });
    expect(ran.stdout).not.toContain(KEY);
    expect(ran.stdout).not.toContain('\x1b['); // no terminal drawing in a pipeline log

    const post = stack.sim.admin.requests({ method: 'POST', offerId: 'ok-offer' }).find((r) => r.status === 202);
    const shown = ran.lines.find((l) => /ended succeeded|succeeded/.test(l.text) && /cli\/ok-offer/.test(l.text));
    expect(post && shown).toBeTruthy();
    console.log(
      `operation change to watch: ${((shown!.at - (Date.parse(post!.time) + 4_000)) / 1000).toFixed(1)} s ` +
        '(poll interval 1-2 s + watch interval 2 s)',
    );
  });

  it('exits 1 with the partner reason when the run fails', async () => {
    const ran = await run('enqueue', ['cli/fail-offer', '--wait', ...remote()]).done;
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(/ended failed .*Live failed/);
    expect(ran.stdout).toMatch(/"type": "golive.failed"/);
  });
});

describe('npm run golive', () => {
  it('watch exits 2 after cancel ends the run canceled', async () => {
    const enqueued = await run('enqueue', ['cli/long-offer']).done;
    expect(enqueued.code).toBe(0);
    const watch = run('golive', ['watch', 'cli/long-offer', '--interval', '0.5', ...remote()]);
    // Wait until the run polls, then cancel it.
    await waitFor(async () => /polling/.test(watch.output()), {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'watch to show the run polling',
    });
    const cancel = await run('golive', ['cancel', 'cli/long-offer', ...remote()]).done;
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(/Cancel sent to the run of cli\/long-offer/);
    const watched = await watch.done;
    expect(watched.code).toBe(2);
    expect(watched.stdout).toMatch(/ended canceled/);
    const again = await run('golive', ['cancel', 'cli/long-offer', ...remote()]).done;
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/Nothing to cancel/);
  });

  it('status, list and events read the runs and the events queue', async () => {
    const status = await run('golive', ['status', 'cli/ok-offer', ...remote()]).done;
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/cli\/ok-offer run 1 .*: succeeded/);
    const list = await run('golive', ['list', '--state', 'succeeded'], { GOLIVE_URL: stack.base, GOLIVE_KEY: KEY })
      .done;
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/cli\/ok-offer\s+succeeded/);
    expect(list.stdout).not.toMatch(/fail-offer/);
    const events = await run('golive', ['events']).done;
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/golive\.succeeded cli\/ok-offer run/);
    expect(events.stdout).toMatch(/golive\.failed cli\/fail-offer .*Live failed/);
  });

  it("watch --request-id follows the run that took that request, not the offer's last run (a pipeline after POST)", async () => {
    const posted = await fetch(`${stack.base}/api/golive/cli/ok-offer`, {
      method: 'POST',
      headers: { 'x-functions-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ requestId: 'gh-run-42', requestedBy: 'github' }),
    });
    expect(posted.status).toBe(202);
    const ran = await run('golive', ['watch', 'cli/ok-offer', '--request-id', 'gh-run-42', ...remote()]).done;
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/cli\/ok-offer run 2 /);
    expect(ran.stdout).toMatch(/"requestIds": \[\s*"gh-run-42"\s*\]/);
  });

  it('exits 4 when the app refuses the key or cannot be reached, and 64 on a bad command line', async () => {
    const badKey = await run('golive', ['watch', 'cli/ok-offer', '--url', stack.base, '--key', 'wrong']).done;
    expect(badKey.code).toBe(4);
    expect(badKey.stdout + badKey.stderr).toMatch(/refused the key/);
    expect(badKey.stdout + badKey.stderr).not.toContain('wrong');
    const down = await run('golive', ['watch', 'cli/ok-offer', '--url', 'http://127.0.0.1:9', '--key', KEY]).done;
    expect(down.code).toBe(4);
    expect(down.stdout + down.stderr).toMatch(/Cannot reach the app at http:\/\/127\.0\.0\.1:9/);
    const usage = await run('golive', ['watch']).done;
    expect(usage.code).toBe(64);
  });

  it('watch exits 3 when the request it follows was rejected', async () => {
    const lines: string[] = [];
    const code = await watchRun({
      target: { url: stack.base, key: KEY },
      publisherId: 'cli',
      offerId: 'never-ran',
      requestId: 'rejected-1',
      rejected: async () => 'offerId must be lowercase',
      tty: false,
      write: (t) => lines.push(t),
      intervalMs: 100,
    });
    expect(code).toBe(3);
    expect(lines.join('')).toMatch(/request rejected-1 was rejected: offerId must be lowercase/);
  });
});
