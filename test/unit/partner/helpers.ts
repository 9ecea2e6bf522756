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

export interface Harness {
  agent: MockAgent;
  client: CloudPartnerPortalClient;
  responses: ResponseInfo[];
  sleeps: number[];
  /** Requests that reached the mock (method, path with query, headers). */
  calls(): { method: string; path: string; url: string; headers: Record<string, string> }[];
  close(): Promise<void>;
}

export function harness(overrides: Partial<CloudPartnerPortalClientOptions> = {}): Harness {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  const responses: ResponseInfo[] = [];
  const sleeps: number[] = [];
  const client = new CloudPartnerPortalClient({
    baseUrl: ORIGIN,
    apiVersion: API_VERSION,
    scope: `${ORIGIN}/.default`,
    credential: new StaticTokenCredential(TOKEN),
    timeoutMs: 2_000,
    maxRetries: 3,
    retryBaseMs: 5,
    retryMaxMs: 1_000,
    dispatcher: agent,
    onResponse: (info) => responses.push(info),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
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
        return { method: c.method, path: c.path, url: c.fullUrl, headers };
      });
    },
    async close() {
      await client.close();
      await agent.close();
    },
  };
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
