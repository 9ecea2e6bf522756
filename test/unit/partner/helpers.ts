import { MockAgent } from 'undici';

import {
  CloudPartnerPortalClient,
  type CloudPartnerPortalClientOptions,
} from '../../../src/partner/cloudPartnerPortalClient';
import { StaticTokenCredential } from '../../../src/partner/credential';
import type { ResponseInfo } from '../../../src/partner/http';
import type { GoLiveTarget } from '../../../src/partner/types';

export const ORIGIN = 'https://cloudpartner.example.test';
export const API_VERSION = '2017-10-31';
/** A distinctive token: the leak checks look for it in every message and serialized error. */
export const TOKEN = 'tok-7f3c9e1d-SECRET-b0a1';
export const TARGET: GoLiveTarget = { api: 'cpp', publisherId: 'contoso', offerId: 'contoso-vm-offer' };
export const OFFER_PATH = '/api/publishers/contoso/offers/contoso-vm-offer';

/** How a running Product Ingestion configure job reads: the `Submit` phase runs, `Publish to live` waits. */
export const RUNNING_JOB = {
  rawStatus: 'running',
  state: 'running',
  terminal: false,
  progressPercentage: 25,
  steps: [
    { id: 'submit', stepName: 'Submit', status: 'inProgress', progressPercentage: 50 },
    { id: 'live', stepName: 'Publish to live', status: 'notStarted', progressPercentage: 0 },
  ],
};

/** JSON response headers for MockAgent replies. */
export const json = { 'content-type': 'application/json' };

/** A request that reached the mock: method, path with query, full URL, body (text) and lowercase headers. */
export interface RecordedCall {
  method: string;
  path: string;
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** A partner client on an undici `MockAgent`, with what it reported and waited. */
export interface MockHarness<C> {
  agent: MockAgent;
  client: C;
  responses: ResponseInfo[];
  sleeps: number[];
  /** Requests that reached the mock. */
  calls(): RecordedCall[];
  close(): Promise<void>;
}

/** The call settings both clients get in the unit tests: the mock dispatcher, fast retries, recorded waits. */
export interface MockCallOptions {
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  dispatcher: MockAgent;
  onResponse: (info: ResponseInfo) => void;
  sleep: (ms: number) => Promise<void>;
}

/** Builds a client with `build` over a fresh `MockAgent` that refuses real connections. */
export function mockHarness<C extends { close(): Promise<void> }>(
  build: (common: MockCallOptions) => C,
): MockHarness<C> {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  const responses: ResponseInfo[] = [];
  const sleeps: number[] = [];
  const client = build({
    timeoutMs: 2_000,
    maxRetries: 3,
    retryBaseMs: 5,
    retryMaxMs: 1_000,
    dispatcher: agent,
    onResponse: (info) => responses.push(info),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return {
    agent,
    client,
    responses,
    sleeps,
    calls() {
      return (agent.getCallHistory()?.calls() ?? []).map((c) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(c.headers ?? {}))
          headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
        const u = new URL(c.fullUrl);
        return {
          method: c.method,
          path: `${u.pathname}${u.search}`,
          url: c.fullUrl,
          body: typeof c.body === 'string' ? c.body : '',
          headers,
        };
      });
    },
    async close() {
      await client.close();
      await agent.close();
    },
  };
}

export type Harness = MockHarness<CloudPartnerPortalClient>;

/**
 * The Cloud Partner Portal client on a `MockAgent` (origin `ORIGIN`, token `TOKEN`). The offer status read before
 * the Go Live POST is off here, so the tests of the POST see only the POST; `checkOfferStatus: true` turns it on
 * (its own tests, and every test against the simulator, run with it).
 */
export function harness(overrides: Partial<CloudPartnerPortalClientOptions> = {}): Harness {
  return mockHarness(
    (common) =>
      new CloudPartnerPortalClient({
        baseUrl: ORIGIN,
        apiVersion: API_VERSION,
        scope: `${ORIGIN}/.default`,
        credential: new StaticTokenCredential(TOKEN),
        checkOfferStatus: false,
        ...common,
        ...overrides,
      }),
  );
}

export function netError(code: string, message = `connect ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

/** Everything an error could show a reader: message, JSON, inspect (with causes). */
export function errorTexts(e: unknown): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { inspect } = require('node:util') as typeof import('node:util');
  const texts = [inspect(e, { depth: 8 }), String(e)];
  try {
    texts.push(JSON.stringify(e) ?? '');
  } catch {
    // circular: inspect covers it
  }
  if (e instanceof Error) texts.push(e.message, e.stack ?? '');
  return texts;
}

export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}
