/**
 * The partner API clients: `createPartnerApi(kind, config)` gives the adapter for an API kind, one per kind per
 * process (one keep-alive pool each). Also re-exports the types, errors and pure helpers other parts use.
 */
import type { TokenCredential } from '@azure/identity';
import type { Dispatcher } from 'undici';

import type { AppConfig } from '../config';
import { CloudPartnerPortalClient } from './cloudPartnerPortalClient';
import { createPartnerCredential } from './credential';
import type { ResponseHook } from './http';
import type { PartnerClientCallOptions } from './pipeline';
import { ProductIngestionClient } from './productIngestionClient';
import { minPollIntervalFor } from './productIngestionStatus';
import type { PartnerApi, PartnerApiKind } from './types';

export { CloudPartnerPortalClient, type CloudPartnerPortalClientOptions } from './cloudPartnerPortalClient';
export { createPartnerCredential, getAccessToken, StaticTokenCredential } from './credential';
export * from './errors';
export type { ResponseHook, ResponseInfo } from './http';
export { normalizeOperationStatus, operationIdFromUrl, resolveOperationUrl } from './operation';
export {
  errorDetailOf,
  type PartnerCall,
  PartnerCallPipeline,
  type PartnerCallPipelineOptions,
  type PartnerClientCallOptions,
  type RetryPolicy,
  type StatusDescription,
} from './pipeline';
export { backoffDelayMs, parseRetryAfter, shouldRetryGoLive, shouldRetryRead } from './retry';
export * from './types';

export interface CreatePartnerApiOptions {
  credential?: TokenCredential;
  dispatcher?: Dispatcher;
  onResponse?: ResponseHook;
  retryBaseMs?: number;
  retryMaxMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

type ClosablePartnerApi = PartnerApi & { close(): Promise<void> };

const clients = new Map<PartnerApiKind, ClosablePartnerApi>();

/**
 * The call settings both clients take: the credential (the given one, else the partner credential with the kind's
 * development token), timeout and retries from the partner API settings, and only the overrides `options` gives.
 */
function callOptions(
  config: AppConfig,
  devToken: string | undefined,
  options: CreatePartnerApiOptions,
): PartnerClientCallOptions {
  const settings = config.partnerApi;
  return {
    credential:
      options.credential ?? createPartnerCredential({ devToken, federatedClientId: settings.federatedClientId }),
    timeoutMs: settings.timeoutMs,
    maxRetries: settings.maxRetries,
    ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
    ...(options.retryMaxMs === undefined ? {} : { retryMaxMs: options.retryMaxMs }),
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    ...(options.onResponse ? { onResponse: options.onResponse } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  };
}

function build(kind: PartnerApiKind, config: AppConfig, options: CreatePartnerApiOptions): ClosablePartnerApi {
  if (kind === 'cpp') {
    const settings = config.partnerApi;
    return new CloudPartnerPortalClient({
      baseUrl: settings.baseUrl,
      apiVersion: settings.apiVersion,
      scope: settings.scope,
      ...callOptions(config, settings.devToken, options),
    });
  }
  const pi = config.productIngestion;
  return new ProductIngestionClient({
    baseUrl: pi.baseUrl,
    schemaVersion: pi.schemaVersion,
    scope: pi.scope,
    minPollIntervalSeconds: minPollIntervalFor(pi.baseUrl),
    ...callOptions(config, pi.devToken, options),
  });
}

/**
 * The partner API adapter for `kind`. Without `options` the client is cached per kind for the process (one keep-alive
 * pool); with `options` (tests, tools) a new client is built each time and the caller closes it.
 */
export function createPartnerApi(
  kind: PartnerApiKind,
  config: AppConfig,
  options?: CreatePartnerApiOptions,
): PartnerApi {
  if (options !== undefined) return build(kind, config, options);
  let client = clients.get(kind);
  if (!client) {
    client = build(kind, config, {});
    clients.set(kind, client);
  }
  return client;
}

/** Closes the cached clients' pools and forgets them (tests, shutdown). */
export async function closePartnerApis(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.all(all.map((c) => c.close()));
}
