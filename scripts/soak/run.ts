/**
 * The fault soak: many go-lives across many simulator offers with partner faults mixed in, duplicate requests
 * while runs are going, redelivered messages, SIGKILLs of the host and a restart of Azurite (data on disk, same
 * ports) mid-run. Afterwards it reconciles everything and reports:
 *
 * - every request is accounted for by exactly one completion or rejection event (request ids in the events;
 *   copies of one event, same CloudEvents id, count once as the contract lets consumers drop them);
 * - Go Live POSTs that created an operation (simulator request log) equal runs, per offer;
 * - nothing left in flight: requests and poison queues empty, Durable queues drained, no run still Running;
 * - the hostile operation URL never got the token, and no secret shows in logs or storage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { ScenarioPatch } from '../../tools/simulator';
import { fuzzMessages, loadCorpus } from './badInput';
import { type BadInputResult, runBadInput } from './badInputRun';
import { Prng } from './prng';
import { scanAll, type SecretFinding } from './secrets';
import { type Stack, startStack } from './stack';
import {
  decodeStored,
  drainQueue,
  dumpStorage,
  instancesByStatus,
  queue,
  queueDepth,
  type StoredText,
} from './storage';

export interface SoakProfile {
  name: string;
  offers: number;
  goLives: number;
  /** Share of go-lives that get a second request (new request id) while the run goes. */
  duplicateRate: number;
  /** Share of go-lives whose message is sent twice (same request id), as a redelivery. */
  redeliveryRate: number;
  /** Share of later go-lives that also resend the previous run's message (a late redelivery). */
  lateRedeliveryRate: number;
  invalidRequests: number;
  hostKills: number;
  azuriteRestarts: number;
  /** Fuzz messages sent after the go-lives (the corpus too when > 0). */
  fuzz: number;
  deadlineMinutes: number;
  /** Go-lives in flight at once at most. */
  concurrency: number;
  /** Requests that join the crowd offer's one run (beyond the first). */
  crowdJoins: number;
  /** Requests that join the join-storm offer's run at random times, across its continueAsNew episodes. */
  stormJoins: number;
}

export const PROFILES: Record<string, SoakProfile> = {
  full: {
    name: 'full',
    offers: 80,
    goLives: 300,
    duplicateRate: 0.25,
    redeliveryRate: 0.2,
    lateRedeliveryRate: 0.1,
    invalidRequests: 12,
    hostKills: 3,
    azuriteRestarts: 1,
    fuzz: 3000,
    deadlineMinutes: 2,
    concurrency: 40,
    crowdJoins: 149,
    stormJoins: 20,
  },
  ci: {
    name: 'ci',
    offers: 16,
    goLives: 28,
    duplicateRate: 0.3,
    redeliveryRate: 0.25,
    lateRedeliveryRate: 0.15,
    invalidRequests: 3,
    hostKills: 2,
    azuriteRestarts: 1,
    fuzz: 0,
    deadlineMinutes: 1,
    concurrency: 16,
    crowdJoins: 149,
    stormJoins: 12,
  },
};

type OfferKind =
  | 'plain'
  | 'throttle'
  | 'serverErrors'
  | 'resetBefore'
  | 'resetAfter'
  | 'slow'
  | 'fails'
  | 'completedSpelling'
  | 'neverEnds'
  | 'hostile'
  /** Many joins at random times while the run continues as new every few polls. */
  | 'joinStorm'
  /** An operator terminates the run through the Durable API: the reconciler publishes golive.failed RunTerminated. */
  | 'terminate'
  /** Canceled while it runs: the run ends canceled once the partner API says canceled. */
  | 'cancel'
  /** 150 requests on one run: every id in exactly one (paged) event. */
  | 'crowd';

interface Offer {
  publisherId: string;
  offerId: string;
  kind: OfferKind;
  expected: 'succeeded' | 'failed' | 'timedOut' | 'canceled';
  /** How many go-lives this offer gets. */
  runs: number;
}

const FAULT_KINDS: OfferKind[] = [
  'plain',
  'throttle',
  'serverErrors',
  'resetBefore',
  'resetAfter',
  'slow',
  'fails',
  'completedSpelling',
];

/**
 * How long a simulated go-live runs. Longer than the host's recovery after a SIGKILL (the Durable work-item
 * visibility, 15 s here), as a real go-live (hours to days) always is: a Go Live whose answer was lost in a crash
 * is then still running when the re-executed activity looks for it.
 */
const OPERATION_MS: [number, number] = [18_000, 26_000];

function scenarioOf(kind: OfferKind, p: Prng): ScenarioPatch {
  const durationMs = p.int(OPERATION_MS[0], OPERATION_MS[1]);
  switch (kind) {
    case 'throttle':
      return { durationMs, throttle: { count: 2, retryAfterSeconds: 1 } };
    case 'serverErrors':
      return { durationMs, serverErrors: { count: 2, status: p.pick([500, 502, 503]) } };
    case 'resetBefore':
      // The reset is armed for the Go Live POST itself (see armPostFault); latency opens the window to arm it.
      return { durationMs, latencyMs: POST_FAULT_LATENCY_MS, resetConnections: { phase: 'before' } };
    case 'resetAfter':
      return { durationMs, latencyMs: POST_FAULT_LATENCY_MS, resetConnections: { phase: 'after' } };
    case 'slow':
      return { durationMs, latencyMs: 1500 };
    case 'fails':
      return { durationMs, outcome: 'failed' };
    case 'completedSpelling':
      return { durationMs, statusSpelling: 'completed' };
    case 'neverEnds':
      return { neverEnds: true };
    case 'hostile':
      return { durationMs, locationHeader: 'hostile' };
    case 'joinStorm':
    case 'crowd':
      return { durationMs: 25_000 };
    case 'terminate':
    case 'cancel':
      return { neverEnds: true };
    default:
      return { durationMs };
  }
}

/** Counters the next go-live of an offer meets again (they are consumed by requests). */
function rearm(kind: OfferKind): ScenarioPatch | undefined {
  switch (kind) {
    case 'throttle':
      return { throttle: { count: 2 } };
    case 'serverErrors':
      return { serverErrors: { count: 2 } };
    default:
      return undefined;
  }
}

const POST_FAULT_LATENCY_MS = 700;

/** Offers with one run each whose case the report checks on its own. */
const SPECIAL_KINDS: OfferKind[] = ['neverEnds', 'hostile', 'joinStorm', 'terminate', 'cancel', 'crowd'];

function expectedOutcome(kind: OfferKind): Offer['expected'] {
  switch (kind) {
    case 'neverEnds':
      return 'timedOut';
    case 'fails':
    case 'hostile':
    case 'terminate':
      return 'failed';
    case 'cancel':
      return 'canceled';
    default:
      return 'succeeded';
  }
}

/**
 * Makes the next Go Live POST of a reset offer lose its connection. Scenario counters are taken by whichever request
 * about the offer comes next, and the app reads the offer status (GET .../status) just before it POSTs; the
 * simulator takes faults when a request arrives and then waits `latencyMs`, so arming the reset as soon as that GET
 * is in the request log hands it to the POST. Resolves once armed (or when `stop` says so).
 */
async function armPostFault(sim: Stack['simulator'], o: Offer, stop: () => boolean): Promise<boolean> {
  const filter = { method: 'GET', publisherId: o.publisherId, offerId: o.offerId, pathIncludes: '/status' };
  const before = sim.admin.requests(filter).length;
  while (!stop()) {
    if (sim.admin.requests(filter).length > before) {
      sim.admin.setScenario(o.publisherId, o.offerId, { resetConnections: { count: 1 } });
      return true;
    }
    await sleep(10);
  }
  return false;
}

export interface SentRequest {
  requestId: string;
  publisherId: string;
  offerId: string;
  /** How this request came about. */
  role: 'goLive' | 'duplicate' | 'invalid';
  copies: number;
}

interface EventView {
  id: string;
  type: string;
  data: {
    publisherId?: string | null;
    offerId?: string | null;
    requestIds?: string[];
    requestId?: string | null;
    runId?: string;
    operationStatus?: string | null;
    error?: { code?: string; message?: string } | null;
  };
}

export interface SoakReport {
  profile: string;
  seed: number;
  offers: number;
  requests: { total: number; goLives: number; duplicates: number; invalid: number; redeliveredCopies: number };
  eventsByType: Record<string, number>;
  eventCopies: number;
  runs: number;
  rejections: number;
  goLivePosts: { accepted: number; attempts: number; conflicts: number; resetBefore: number; resetAfter: number };
  /** Partner faults the app met (simulator request log), and POST resets armed. */
  faults: { throttled: number; serverErrors: number; resets: number; slowOffers: number; postResetsArmed: number };
  lost: string[];
  duplicateAccounting: string[];
  duplicatePosts: string[];
  unknownRequestIds: string[];
  unexpectedOutcomes: string[];
  inFlight: { requests: number; poison: number; durableQueues: number; running: string[] };
  restarts: { hostKills: number; hostStarts: number; azurite: number; unexpectedHostExits: number };
  hostile: {
    offer: string;
    outcome: string;
    errorCode: string;
    otherOriginRequests: number;
    withAuthorization: number;
    /** Every request about the hostile offer and every other-origin request, for the record when it fails. */
    trail: string[];
  };
  secrets: { scanned: number; findings: SecretFinding[] };
  badInput?: { sent: number; rejected: number; poisoned: number; problems: string[] };
  /** The special cases: joins at continueAsNew, an operator terminate, a cancel, 150 requests on one run. */
  cases: {
    stormJoins: number;
    crowdRequests: number;
    crowdEvents: number;
    /** Runs the crowd's requests went to (a join that comes after the run decided to complete starts the next). */
    crowdRuns: number;
    terminate: string;
    cancel: string;
  };
  problems: string[];
  wallSeconds: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function parseEvent(text: string): EventView | undefined {
  try {
    const v = JSON.parse(text) as Partial<EventView>;
    if (typeof v.id !== 'string' || typeof v.type !== 'string' || typeof v.data !== 'object' || v.data === null) {
      return undefined;
    }
    return v as EventView;
  } catch {
    return undefined;
  }
}

/** Drains `golive-events` and `golive-rejected` in the background; survives storage outages. */
class Collector {
  readonly events: EventView[] = [];
  readonly texts: StoredText[] = [];
  readonly byRequest = new Map<string, Set<string>>();
  readonly distinct = new Map<string, EventView>();
  readonly unreadable: string[] = [];
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(private readonly connectionString: string) {}

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    await this.drainOnce().catch(() => undefined);
  }

  async drainOnce(): Promise<void> {
    for (const m of await drainQueue(this.connectionString, 'golive-events')) {
      const text = decodeStored(m.stored);
      this.texts.push({ where: `queue golive-events ${m.messageId}`, text });
      const event = parseEvent(text);
      if (!event) {
        this.unreadable.push(text.slice(0, 200));
        continue;
      }
      this.events.push(event);
      if (!this.distinct.has(event.id)) this.distinct.set(event.id, event);
      const ids = event.type === 'golive.rejected' ? [event.data.requestId] : (event.data.requestIds ?? []);
      for (const id of ids) {
        if (typeof id !== 'string') continue;
        const set = this.byRequest.get(id) ?? new Set<string>();
        set.add(event.id);
        this.byRequest.set(id, set);
      }
    }
    for (const m of await drainQueue(this.connectionString, 'golive-rejected')) {
      this.texts.push({ where: `queue golive-rejected ${m.messageId}`, text: decodeStored(m.stored) });
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.drainOnce();
      } catch {
        // Azurite may be restarting: try again shortly.
      }
      await sleep(400);
    }
  }

  accounted(requestId: string): boolean {
    return (this.byRequest.get(requestId)?.size ?? 0) > 0;
  }
}

/**
 * A final read of the emulator, tried again while it answers with a transient error (a response cut off while
 * Azurite stalls under load): the soak judges the app, not one read of the emulator.
 */
async function withStorageRetry<T>(read: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (e) {
      if (attempt >= attempts) throw e;
      await sleep(2_000 * attempt);
    }
  }
}

async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // storage may be restarting
    }
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

/** Sends one message, retrying while storage is unavailable (Azurite restart). */
async function send(connectionString: string, body: string): Promise<void> {
  const q = queue(connectionString, 'golive-requests');
  const stored = Buffer.from(body, 'utf8').toString('base64');
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      await q.createIfNotExists();
      await q.sendMessage(stored);
      return;
    } catch (e) {
      if (attempt >= 60) throw e;
      await sleep(delay);
      delay = Math.min(delay * 2, 2_000);
    }
  }
}

export interface SoakOptions {
  profile: SoakProfile;
  seed: number;
  log?: (line: string) => void;
  /** Keep the Azurite data and host logs folder (printed). */
  keepData?: boolean;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { profile, seed } = options;
  const log = options.log ?? (() => undefined);
  const t0 = Date.now();
  const p = new Prng(seed);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'golive-soak-'));
  const problems: string[] = [];

  // ---- offers and their scenarios ----
  const offers: Offer[] = [];
  for (let i = 0; i < profile.offers; i++) {
    const kind =
      i < SPECIAL_KINDS.length ? (SPECIAL_KINDS[i] as OfferKind) : (FAULT_KINDS[i % FAULT_KINDS.length] as OfferKind);
    offers.push({
      publisherId: `soak-pub-${i % 5}`,
      offerId: `soak-offer-${i}`,
      kind,
      expected: expectedOutcome(kind),
      runs: 1,
    });
  }
  // Spread the remaining go-lives over the offers that can run again (not the special ones).
  const repeatable = offers.filter((o) => !SPECIAL_KINDS.includes(o.kind));
  // Two offers always meet the cases at-least-once delivery makes likely: a second request in the same batch as the
  // first (both see no run), and the previous run's message again while the next run goes. They need two runs.
  const sameBatch = new Set(repeatable.slice(0, 2));
  const late = new Set(repeatable.slice(2, 4));
  let left = profile.goLives - offers.length;
  for (const o of late) {
    if (left > 0 && o.runs < 2) {
      o.runs++;
      left--;
    }
  }
  for (; left > 0; left--) p.pick(repeatable).runs++;

  log(
    `soak profile ${profile.name}, seed ${seed}, ${offers.length} offers, ${profile.goLives} go-lives, data in ${dir}`,
  );
  const stack: Stack = await startStack({
    dataDir: path.join(dir, 'azurite'),
    logFile: path.join(dir, 'host.log'),
    settings: {
      GOLIVE_DEADLINE_MINUTES: String(profile.deadlineMinutes),
      GOLIVE_RECONCILE_SCHEDULE: '*/5 * * * * *',
    },
  });
  const conn = stack.connectionString;
  const sim = stack.simulator;
  for (const o of offers) sim.admin.addOffer(o.publisherId, o.offerId, scenarioOf(o.kind, p));

  const collector = new Collector(conn);
  collector.start();
  const sent = new Map<string, SentRequest>();
  let redeliveredCopies = 0;
  let postFaults = 0;
  let nextId = 0;
  const newId = (): string => `soak-${seed.toString(16)}-${++nextId}`;
  const bodyOf = (o: Offer, requestId: string): string =>
    JSON.stringify({ publisherId: o.publisherId, offerId: o.offerId, requestId, requestedBy: 'soak' });
  const settleMs = profile.deadlineMinutes * 60_000 + 60_000;

  // ---- chaos: host kills and an Azurite restart at points of progress ----
  let completed = 0;
  const chaosPoints: { at: number; what: 'kill' | 'azurite' }[] = [];
  for (let k = 0; k < profile.hostKills; k++) {
    chaosPoints.push({ at: Math.round(((k + 1) / (profile.hostKills + 1.5)) * profile.goLives), what: 'kill' });
  }
  for (let k = 0; k < profile.azuriteRestarts; k++) {
    chaosPoints.push({
      at: Math.round(((k + 1.5) / (profile.azuriteRestarts + 2)) * profile.goLives),
      what: 'azurite',
    });
  }
  chaosPoints.sort((a, b) => a.at - b.at);
  let azuriteRestarts = 0;
  let chaosStop = false;
  const chaos = (async () => {
    for (const point of chaosPoints) {
      while (!chaosStop && completed < point.at) await sleep(200);
      if (chaosStop) return;
      if (point.what === 'kill') {
        log(`chaos: SIGKILL host pid ${stack.host.pid} after ${completed} go-lives`);
        await stack.host.kill();
        await stack.host.start();
        log(`chaos: host started again, pid ${stack.host.pid}`);
      } else {
        log(`chaos: restarting Azurite (data on disk, same ports) after ${completed} go-lives`);
        await stack.azurite.restart();
        azuriteRestarts++;
        log('chaos: Azurite is back');
      }
    }
  })();
  // A host that exits by itself is started again (and reported).
  let watchStop = false;
  const watchdog = (async () => {
    while (!watchStop) {
      await sleep(500);
      if (!watchStop && !stack.host.running && stack.host.unexpectedExits.length > 0) {
        const last = stack.host.unexpectedExits[stack.host.unexpectedExits.length - 1];
        log(`host exited by itself (code ${String(last?.code)}, signal ${String(last?.signal)}); starting it again`);
        await stack.host.start().catch((e: unknown) => log(`host restart failed: ${String(e)}`));
      }
    }
  })();

  // ---- the go-lives: one worker per offer, runs of an offer one after another ----
  let inFlight = 0;
  const worker = async (o: Offer): Promise<void> => {
    let previous: string | undefined;
    for (let r = 0; r < o.runs; r++) {
      while (inFlight >= profile.concurrency) await sleep(100);
      inFlight++;
      try {
        const patch = r > 0 ? rearm(o.kind) : undefined;
        if (patch) sim.admin.setScenario(o.publisherId, o.offerId, patch);
        const requestId = newId();
        const submissions = {
          method: 'GET',
          publisherId: o.publisherId,
          offerId: o.offerId,
          pathIncludes: 'submissions',
        };
        const submissionsBefore = sim.admin.requests(submissions).length;
        let runEnded = false;
        const armed =
          o.kind === 'resetBefore' || o.kind === 'resetAfter'
            ? armPostFault(sim, o, () => runEnded)
            : Promise.resolve(false);
        const req: SentRequest = {
          requestId,
          publisherId: o.publisherId,
          offerId: o.offerId,
          role: 'goLive',
          copies: 1,
        };
        sent.set(requestId, req);
        await send(conn, bodyOf(o, requestId));
        const waitFor = [requestId];
        // The special offers get their own case only: their single run is what the report checks.
        const extras = !SPECIAL_KINDS.includes(o.kind);
        if (o.kind === 'joinStorm' || o.kind === 'crowd' || o.kind === 'terminate' || o.kind === 'cancel') {
          waitFor.push(...(await specialCase(o)));
        }
        if (extras && previous && (late.has(o) || p.chance(profile.lateRedeliveryRate))) {
          // The previous run's message again, once this run goes (it has asked the partner API for running
          // operations): it must not be counted twice.
          const prev = sent.get(previous);
          await waitUntil(() => sim.admin.requests(submissions).length > submissionsBefore, 30_000, 50);
          if (prev) {
            prev.copies++;
            redeliveredCopies++;
            await send(conn, bodyOf(o, previous));
          }
        }
        const together = r === 0 && sameBatch.has(o);
        if (extras && !together && p.chance(profile.redeliveryRate)) {
          req.copies++;
          redeliveredCopies++;
          await sleep(p.int(0, 1500));
          await send(conn, bodyOf(o, requestId));
        }
        if (extras && (together || p.chance(profile.duplicateRate))) {
          if (!together) await sleep(p.int(100, 2000));
          const dupId = newId();
          sent.set(dupId, {
            requestId: dupId,
            publisherId: o.publisherId,
            offerId: o.offerId,
            role: 'duplicate',
            copies: 1,
          });
          await send(conn, bodyOf(o, dupId));
          waitFor.push(dupId);
        }
        const ok = await waitUntil(() => waitFor.every((id) => collector.accounted(id)), settleMs, 300);
        runEnded = true;
        if (await armed) postFaults++;
        if (!ok) log(`offer ${o.publisherId}/${o.offerId}: requests ${waitFor.join(', ')} not accounted for in time`);
        previous = requestId;
      } finally {
        inFlight--;
        completed++;
      }
    }
  };
  /** The special cases' actions once the offer's run goes; returns the request ids they added. */
  const cases = { stormJoins: 0, crowdJoins: 0, terminated: 0, cancelAnswers: [] as number[] };
  const runPolls = async (o: Offer): Promise<boolean> =>
    waitUntil(
      () =>
        sim.admin.requests({
          method: 'GET',
          publisherId: o.publisherId,
          offerId: o.offerId,
          pathIncludes: '/operations/',
        }).length > 0,
      60_000,
      200,
    );
  const addDuplicate = async (o: Offer): Promise<string> => {
    const dupId = newId();
    sent.set(dupId, { requestId: dupId, publisherId: o.publisherId, offerId: o.offerId, role: 'duplicate', copies: 1 });
    await send(conn, bodyOf(o, dupId));
    return dupId;
  };
  const specialCase = async (o: Offer): Promise<string[]> => {
    const ids: string[] = [];
    if (o.kind === 'crowd') {
      await runPolls(o);
      await Promise.all(
        Array.from({ length: profile.crowdJoins }, async () => {
          ids.push(await addDuplicate(o));
          cases.crowdJoins++;
        }),
      );
    } else if (o.kind === 'joinStorm') {
      // Polls every second and continues as new every 5 polls (stack settings): joins at random times over 20 s
      // meet the episodes that call continueAsNew.
      await runPolls(o);
      const t0 = Date.now();
      for (let k = 0; k < profile.stormJoins; k++) {
        await sleep(Math.max(0, t0 + p.int(0, 20_000) * ((k + 1) / profile.stormJoins) - Date.now()));
        ids.push(await addDuplicate(o));
        cases.stormJoins++;
      }
    } else if (o.kind === 'terminate' || o.kind === 'cancel') {
      await runPolls(o);
      await sleep(p.int(500, 3000));
      for (let attempt = 1; attempt <= 10; attempt++) {
        try {
          const base = stack.host.baseUrl;
          const id = encodeURIComponent(`golive:${o.publisherId}:${o.offerId}`);
          const res =
            o.kind === 'terminate'
              ? await fetch(`${base}/runtime/webhooks/durabletask/instances/${id}/terminate?reason=soak%20operator`, {
                  method: 'POST',
                })
              : await fetch(`${base}/api/golive/${o.publisherId}/${o.offerId}/cancel`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({ requestedBy: 'soak', reason: 'soak cancel' }),
                });
          await res.arrayBuffer();
          if (o.kind === 'terminate' && res.status === 202) cases.terminated++;
          if (o.kind === 'cancel') cases.cancelAnswers.push(res.status);
          if (res.status < 500) break;
        } catch {
          // the host may be restarting (chaos): try again
        }
        await sleep(2_000);
      }
    }
    return ids;
  };
  const invalid = (async () => {
    for (let i = 0; i < profile.invalidRequests; i++) {
      const requestId = newId();
      sent.set(requestId, { requestId, publisherId: 'soak-pub-0', offerId: 'INVALID', role: 'invalid', copies: 1 });
      await send(conn, JSON.stringify({ publisherId: 'soak-pub-0', offerId: 'Not/Valid', requestId }));
      await sleep(p.int(200, 3000));
    }
  })();
  await Promise.all([...offers.map(worker), invalid]);
  chaosStop = true;
  await chaos;
  log(`all ${profile.goLives} go-lives sent and waited for (${Math.round((Date.now() - t0) / 1000)} s)`);

  // ---- settle: everything accounted, queues drained, nothing running ----
  await waitUntil(() => [...sent.keys()].every((id) => collector.accounted(id)), 60_000, 500);
  const durableQueues = [
    'golive-workitems',
    'golive-control-00',
    'golive-control-01',
    'golive-control-02',
    'golive-control-03',
  ];
  const depths = async (): Promise<{ requests: number; poison: number; durable: number }> => {
    let durable = 0;
    for (const q of durableQueues) durable += await queueDepth(conn, q);
    return {
      requests: await queueDepth(conn, 'golive-requests'),
      poison: await queueDepth(conn, 'golive-requests-poison'),
      durable,
    };
  };
  await waitUntil(
    async () => {
      const d = await depths();
      const running = (await instancesByStatus(conn, 'golive')).filter((i) => /Running|Pending/.test(i.runtimeStatus));
      return d.requests === 0 && d.durable === 0 && running.length === 0;
    },
    90_000,
    1_000,
  );
  watchStop = true;
  await watchdog;
  await collector.stop();
  const finalDepths = await withStorageRetry(depths);
  const running = (await withStorageRetry(() => instancesByStatus(conn, 'golive')))
    .filter((i) => /Running|Pending/.test(i.runtimeStatus))
    .map((i) => i.instanceId);

  // ---- reconcile ----
  const lost: string[] = [];
  const duplicateAccounting: string[] = [];
  for (const [id, req] of sent) {
    const n = collector.byRequest.get(id)?.size ?? 0;
    if (n === 0) lost.push(`${id} (${req.role} ${req.publisherId}/${req.offerId})`);
    if (n > 1) duplicateAccounting.push(`${id} in ${n} events: ${[...(collector.byRequest.get(id) ?? [])].join(', ')}`);
  }
  const unknownRequestIds = [...collector.byRequest.keys()].filter((id) => !sent.has(id));
  const eventsByType: Record<string, number> = {};
  for (const e of collector.distinct.values()) eventsByType[e.type] = (eventsByType[e.type] ?? 0) + 1;
  const completions = [...collector.distinct.values()].filter((e) => e.type !== 'golive.rejected');
  const runsByOffer = new Map<string, Set<string>>();
  for (const e of completions) {
    const key = `${e.data.publisherId ?? ''}/${e.data.offerId ?? ''}`;
    const set = runsByOffer.get(key) ?? new Set<string>();
    set.add(e.data.runId ?? e.id);
    runsByOffer.set(key, set);
  }
  const duplicatePosts: string[] = [];
  const unexpectedOutcomes: string[] = [];
  let accepted = 0;
  let attempts = 0;
  let conflicts = 0;
  let postResetBefore = 0;
  let postResetAfter = 0;
  for (const o of offers) {
    const key = `${o.publisherId}/${o.offerId}`;
    const posts = sim.admin.requests({
      method: 'POST',
      publisherId: o.publisherId,
      offerId: o.offerId,
      pathIncludes: '/golive',
    });
    const created = posts.filter((r) => r.status === 202 || r.connectionReset === 'after').length;
    attempts += posts.length;
    accepted += created;
    conflicts += posts.filter((r) => r.status === 409).length;
    postResetBefore += posts.filter((r) => r.connectionReset === 'before').length;
    postResetAfter += posts.filter((r) => r.connectionReset === 'after').length;
    const runs = runsByOffer.get(key)?.size ?? 0;
    if (created !== runs) duplicatePosts.push(`${key}: ${created} Go Live POSTs created operations for ${runs} runs`);
    for (const e of completions) {
      if (`${e.data.publisherId ?? ''}/${e.data.offerId ?? ''}` !== key) continue;
      if (e.type !== `golive.${o.expected}`) {
        unexpectedOutcomes.push(
          `${key} (${o.kind}) run ${e.data.runId ?? '?'}: ${e.type} (${e.data.error?.code ?? ''} ${e.data.error?.message ?? ''})`,
        );
      }
    }
  }

  const primary = sim.admin.requests({ origin: 'primary' });
  const faults = {
    throttled: primary.filter((r) => r.status === 429).length,
    serverErrors: primary.filter((r) => r.status >= 500).length,
    resets: primary.filter((r) => r.connectionReset !== undefined).length,
    slowOffers: offers.filter((o) => o.kind === 'slow').length,
    postResetsArmed: postFaults,
  };

  // ---- the hostile operation URL ----
  const hostileOffer = offers.find((o) => o.kind === 'hostile');
  const hostileEvent = completions.find((e) => e.data.offerId === hostileOffer?.offerId);
  const other = sim.admin.requests({ origin: 'other' });
  const hostile = {
    offer: hostileOffer ? `${hostileOffer.publisherId}/${hostileOffer.offerId}` : '',
    outcome: hostileEvent?.type ?? 'none',
    errorCode: hostileEvent?.data.error?.code ?? '',
    otherOriginRequests: other.length,
    withAuthorization: other.filter((r) => r.hadAuthorization).length,
    trail: [
      ...(hostileOffer
        ? sim.admin.requests({ publisherId: hostileOffer.publisherId, offerId: hostileOffer.offerId })
        : []),
      ...other,
    ]
      .sort((a, b) => a.time.localeCompare(b.time))
      .map(
        (r) =>
          `${r.time} ${r.origin} ${r.method} ${r.path} ${r.status}${r.connectionReset ? ` reset ${r.connectionReset}` : ''}${r.hadAuthorization ? ' (token)' : ''}`,
      )
      .concat(
        completions
          .filter((e) => e.data.offerId === hostileOffer?.offerId)
          .map(
            (e) =>
              `event ${e.type} ${e.data.runId ?? ''} ${(e.data.requestIds ?? []).join(',')} ${e.data.error?.code ?? ''}`,
          ),
      ),
  };
  if (hostileOffer) {
    if (hostile.withAuthorization > 0)
      problems.push(`the other origin received ${hostile.withAuthorization} requests with a token`);
    if (hostile.outcome !== 'golive.failed' || hostile.errorCode !== 'OperationUrlRefused') {
      problems.push(
        `the hostile operation URL run ended ${hostile.outcome} ${hostile.errorCode}, not failed OperationUrlRefused`,
      );
    }
  }

  // ---- the special cases ----
  const eventsOf = (kind: OfferKind): EventView[] => {
    const o = offers.find((x) => x.kind === kind);
    return o ? completions.filter((e) => e.data.publisherId === o.publisherId && e.data.offerId === o.offerId) : [];
  };
  const describe = (events: EventView[]): string =>
    events
      .map((e) => `${e.type} ${e.data.error?.code ?? ''} operationStatus ${e.data.operationStatus ?? 'null'}`.trim())
      .join('; ') || 'no event';
  const crowd = eventsOf('crowd');
  const crowdIds = crowd.flatMap((e) => e.data.requestIds ?? []);
  const terminateEvents = eventsOf('terminate');
  const cancelEvents = eventsOf('cancel');
  const caseReport = {
    stormJoins: cases.stormJoins,
    crowdRequests: new Set(crowdIds).size,
    crowdEvents: crowd.length,
    crowdRuns: new Set(crowd.map((e) => e.data.runId ?? e.id)).size,
    terminate: `${cases.terminated} terminated; ${describe(terminateEvents)}`,
    cancel: `answers ${cases.cancelAnswers.join(',') || 'none'}; ${describe(cancelEvents)}`,
  };
  if (offers.some((o) => o.kind === 'crowd') && (crowdIds.length !== 1 + cases.crowdJoins || crowd.length < 2)) {
    problems.push(
      `the crowd run listed ${crowdIds.length} request ids in ${crowd.length} events, not ${1 + cases.crowdJoins} over pages`,
    );
  }
  if (
    offers.some((o) => o.kind === 'terminate') &&
    !(
      terminateEvents.length === 1 &&
      terminateEvents[0]?.type === 'golive.failed' &&
      terminateEvents[0].data.error?.code === 'RunTerminated'
    )
  ) {
    problems.push(`the terminated run: ${caseReport.terminate}, not one golive.failed RunTerminated`);
  }
  if (
    offers.some((o) => o.kind === 'cancel') &&
    !(
      cancelEvents.length === 1 &&
      cancelEvents[0]?.type === 'golive.canceled' &&
      cancelEvents[0].data.operationStatus === 'canceled'
    )
  ) {
    problems.push(`the canceled run: ${caseReport.cancel}, not one golive.canceled with operationStatus canceled`);
  }

  // ---- bad input on the same stack (full profile) ----
  let badInput: BadInputResult | undefined;
  if (profile.fuzz > 0) {
    const messages = [...loadCorpus(), ...fuzzMessages(seed, profile.fuzz)];
    log(`bad input: ${messages.length} messages (corpus + fuzz seed ${seed})`);
    badInput = await runBadInput(stack, messages, { log });
  }

  // ---- secrets ----
  const stored = await withStorageRetry(() => dumpStorage(conn));
  const logs = stack.host.lines.map((text, i) => ({ where: `host log line ${i + 1}`, text }));
  const secrets = scanAll([...logs, ...collector.texts, ...(badInput?.texts ?? []), ...stored], stack.secrets);

  const restarts = {
    hostKills: stack.host.kills,
    hostStarts: stack.host.starts,
    azurite: azuriteRestarts,
    unexpectedHostExits: stack.host.unexpectedExits.length,
  };
  await stack.close();
  if (!options.keepData) rmSync(dir, { recursive: true, force: true });

  if (lost.length) problems.push(`${lost.length} requests lost`);
  if (duplicateAccounting.length) problems.push(`${duplicateAccounting.length} requests accounted for more than once`);
  if (duplicatePosts.length) problems.push(`${duplicatePosts.length} offers with Go Live POSTs not equal to runs`);
  if (unknownRequestIds.length) problems.push(`${unknownRequestIds.length} unknown request ids in events`);
  if (unexpectedOutcomes.length)
    problems.push(`${unexpectedOutcomes.length} runs ended other than their scenario says`);
  if (collector.unreadable.length) problems.push(`${collector.unreadable.length} unreadable events`);
  if (finalDepths.requests || finalDepths.poison || finalDepths.durable || running.length) {
    problems.push(
      `left in flight: ${finalDepths.requests} requests, ${finalDepths.poison} poison, ${finalDepths.durable} Durable messages, ${running.length} running`,
    );
  }
  if (restarts.hostKills < profile.hostKills || restarts.azurite < profile.azuriteRestarts)
    problems.push('chaos did not run fully');
  if (restarts.unexpectedHostExits) problems.push(`the host exited by itself ${restarts.unexpectedHostExits} times`);
  if (secrets.findings.length) problems.push(`${secrets.findings.length} secret findings`);
  if (badInput?.problems.length) problems.push(`${badInput.problems.length} bad-input problems`);

  const requests = [...sent.values()];
  return {
    profile: profile.name,
    seed,
    offers: offers.length,
    requests: {
      total: requests.length,
      goLives: requests.filter((r) => r.role === 'goLive').length,
      duplicates: requests.filter((r) => r.role === 'duplicate').length,
      invalid: requests.filter((r) => r.role === 'invalid').length,
      redeliveredCopies,
    },
    eventsByType,
    eventCopies: collector.events.length - collector.distinct.size,
    runs: new Set(completions.map((e) => e.data.runId ?? e.id)).size,
    rejections: eventsByType['golive.rejected'] ?? 0,
    goLivePosts: { accepted, attempts, conflicts, resetBefore: postResetBefore, resetAfter: postResetAfter },
    faults,
    lost,
    duplicateAccounting,
    duplicatePosts,
    unknownRequestIds,
    unexpectedOutcomes,
    inFlight: {
      requests: finalDepths.requests,
      poison: finalDepths.poison,
      durableQueues: finalDepths.durable,
      running,
    },
    restarts,
    hostile,
    secrets,
    ...(badInput
      ? {
          badInput: {
            sent: badInput.sent,
            rejected: badInput.rejected,
            poisoned: badInput.poisoned,
            problems: badInput.problems,
          },
        }
      : {}),
    cases: caseReport,
    problems,
    wallSeconds: Math.round((Date.now() - t0) / 1000),
  };
}

/** The report as printed lines. */
export function formatReport(r: SoakReport): string {
  const lines = [
    `Soak report (profile ${r.profile}, seed ${r.seed})`,
    `  offers                 ${r.offers}`,
    `  requests               ${r.requests.total} (go-lives ${r.requests.goLives}, duplicates while running ${r.requests.duplicates}, invalid ${r.requests.invalid}; redelivered copies ${r.requests.redeliveredCopies})`,
    `  events by type         ${Object.entries(r.eventsByType)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  event copies (same id) ${r.eventCopies}`,
    `  runs                   ${r.runs}`,
    `  rejections             ${r.rejections}`,
    `  partner faults met     429 ${r.faults.throttled}, 5xx ${r.faults.serverErrors}, connection resets ${r.faults.resets} (POST resets armed ${r.faults.postResetsArmed}), slow offers ${r.faults.slowOffers}`,
    `  Go Live POSTs          ${r.goLivePosts.accepted} created an operation, ${r.goLivePosts.attempts} sent (reset before ${r.goLivePosts.resetBefore}, reset after accepting ${r.goLivePosts.resetAfter}), ${r.goLivePosts.conflicts} answered 409`,
    `  duplicate POSTs        ${r.duplicatePosts.length}`,
    `  lost                   ${r.lost.length}`,
    `  accounted twice        ${r.duplicateAccounting.length}`,
    `  unexpected outcomes    ${r.unexpectedOutcomes.length}`,
    `  left in flight         requests ${r.inFlight.requests}, poison ${r.inFlight.poison}, Durable messages ${r.inFlight.durableQueues}, running ${r.inFlight.running.length}`,
    `  restarts survived      host SIGKILL ${r.restarts.hostKills} (starts ${r.restarts.hostStarts}), Azurite ${r.restarts.azurite}, host exits by itself ${r.restarts.unexpectedHostExits}`,
    `  hostile operation URL  ${r.hostile.offer}: ${r.hostile.outcome} ${r.hostile.errorCode}; other origin ${r.hostile.otherOriginRequests} requests, ${r.hostile.withAuthorization} with a token`,
    `  secret scan            ${r.secrets.scanned} texts, ${r.secrets.findings.length} findings`,
  ];
  lines.push(
    `  joins at continueAsNew ${r.cases.stormJoins} joins raised while the run continued as new every 5 polls`,
    `  150 requests, one run  ${r.cases.crowdRequests} request ids over ${r.cases.crowdEvents} events of ${r.cases.crowdRuns} run(s)`,
    `  operator terminate     ${r.cases.terminate}`,
    `  cancel                 ${r.cases.cancel}`,
  );
  if (r.badInput) {
    lines.push(
      `  bad input              ${r.badInput.sent} sent, ${r.badInput.rejected} rejected, ${r.badInput.poisoned} poisoned, ${r.badInput.problems.length} problems`,
    );
  }
  lines.push(`  wall time              ${r.wallSeconds} s`);
  const detail = (title: string, items: readonly string[]): void => {
    if (items.length === 0) return;
    lines.push(`  ${title}:`);
    for (const item of items.slice(0, 20)) lines.push(`    - ${item}`);
    if (items.length > 20) lines.push(`    ... ${items.length - 20} more`);
  };
  detail('lost', r.lost);
  detail('accounted twice', r.duplicateAccounting);
  detail('duplicate POSTs', r.duplicatePosts);
  detail('unknown request ids', r.unknownRequestIds);
  detail('unexpected outcomes', r.unexpectedOutcomes);
  detail('still running', r.inFlight.running);
  detail(
    'secret findings',
    r.secrets.findings.map((f) => `${f.kind} in ${f.where}`),
  );
  detail('bad input problems', r.badInput?.problems ?? []);
  if (r.hostile.withAuthorization > 0 || r.hostile.errorCode !== 'OperationUrlRefused')
    detail('hostile offer trail', r.hostile.trail);
  lines.push(r.problems.length === 0 ? 'RESULT: OK (nothing lost, nothing duplicated)' : `RESULT: FAILED`);
  detail('problems', r.problems);
  return lines.join('\n');
}
