import { z } from 'zod';

import type { ErrorCode } from './errorCodes';
import { isLoopbackUrl } from './util';

/**
 * Every setting the app reads, validated once, typed, with defaults that serve production.
 * Documented in docs/settings.md, set in local.settings.sample.json and in infra/app/api.bicep.
 *
 * `AzureWebJobsStorage` and the `AZURE_*` identity settings are read by the Functions host and by
 * `@azure/identity` themselves; they are listed here so the settings page, the sample and infra stay complete.
 */

/** Settings whose values must never appear in a log line, an error message or an event. */
export const SECRET_SETTINGS = [
  'PARTNER_API_TOKEN',
  'PRODUCT_INGESTION_TOKEN',
  'GOLIVE_EVENTGRID_TOKEN',
  'AZURE_CLIENT_SECRET',
  'AzureWebJobsStorage',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
] as const;

const httpUrl = (name: string) =>
  z
    .string()
    .trim()
    .refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), { message: `${name} must be an absolute http(s) URL` });

const intSetting = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Queue names follow the storage rules: 3-63 chars, lowercase letters, digits and single dashes. */
const queueName = z
  .string()
  .trim()
  .regex(
    /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/,
    'must be a valid storage queue name (3-63 lowercase letters, digits, dashes)',
  );

const idPattern = /^[a-z0-9_-]{1,50}$/;

/** `publisherId/offerId` pairs, comma or whitespace separated. */
const scheduledOffers = z
  .string()
  .default('')
  .transform((v, ctx) => {
    const pairs: { publisherId: string; offerId: string }[] = [];
    for (const item of v.split(/[\s,]+/).filter(Boolean)) {
      const [publisherId, offerId, extra] = item.split('/');
      if (!publisherId || !offerId || extra !== undefined || !idPattern.test(publisherId) || !idPattern.test(offerId)) {
        ctx.addIssue({ code: 'custom', message: `"${item}" is not a publisherId/offerId pair` });
        continue;
      }
      pairs.push({ publisherId, offerId });
    }
    return pairs;
  });

const schema = z.object({
  PARTNER_API_BASE_URL: httpUrl('PARTNER_API_BASE_URL').default('https://cloudpartner.azure.com'),
  PARTNER_API_VERSION: z.string().trim().min(1).default('2017-10-31'),
  PARTNER_API_SCOPE: z.string().trim().min(1).default('https://cloudpartner.azure.com/.default'),
  PARTNER_API_TOKEN: z.string().min(1).optional(),
  PARTNER_API_FEDERATED_CLIENT_ID: z
    .string()
    .trim()
    .regex(/^[0-9a-fA-F-]{36}$/, "must be the application (client) id (a GUID) of the publisher's Entra app")
    .optional(),
  PARTNER_API_TIMEOUT_SECONDS: intSetting(1, 600).default(30),
  PARTNER_API_MAX_RETRIES: intSetting(0, 10).default(4),

  PRODUCT_INGESTION_BASE_URL: httpUrl('PRODUCT_INGESTION_BASE_URL').default(
    'https://graph.microsoft.com/rp/product-ingestion',
  ),
  // The `$version` sent on every call: a dated schema version, e.g. 2022-03-01-preview2 (public clients also send
  // 2022-03-01-preview3 and 2022-07-01). The resource `$schema` URLs stay pinned to 2022-03-01-preview2.
  PRODUCT_INGESTION_SCHEMA_VERSION: z
    .string()
    .trim()
    .regex(
      /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(-preview\d{1,2})?$/,
      'must be a Product Ingestion schema version: YYYY-MM-DD or YYYY-MM-DD-previewN, e.g. 2022-03-01-preview2',
    )
    .default('2022-03-01-preview2'),
  PRODUCT_INGESTION_SCOPE: z.string().trim().min(1).default('https://graph.microsoft.com/.default'),
  PRODUCT_INGESTION_TOKEN: z.string().min(1).optional(),

  GOLIVE_DEFAULT_API: z.enum(['cpp', 'productIngestion']).default('cpp'),
  GOLIVE_REQUESTS_QUEUE: queueName.default('golive-requests'),
  GOLIVE_EVENTS_QUEUE: queueName.default('golive-events'),
  GOLIVE_REJECTED_QUEUE: queueName.default('golive-rejected'),
  GOLIVE_POLL_INTERVAL_SECONDS: intSetting(1, 86_400).default(120),
  GOLIVE_POLL_MAX_INTERVAL_SECONDS: intSetting(1, 86_400).default(3_600),
  GOLIVE_DEADLINE_MINUTES: intSetting(1, 60 * 24 * 60).default(60 * 24 * 7),
  GOLIVE_POLLS_PER_HISTORY: intSetting(1, 10_000).default(100),
  GOLIVE_SCHEDULE: z
    .string()
    .trim()
    .refine((v) => v.split(/\s+/).length === 6, 'must be a 6-field NCRONTAB expression (with seconds)')
    .default('0 0 6 * * *'),
  GOLIVE_SCHEDULED_OFFERS: scheduledOffers,
  GOLIVE_RECONCILE_SCHEDULE: z
    .string()
    .trim()
    .refine((v) => v.split(/\s+/).length === 6, 'must be a 6-field NCRONTAB expression (with seconds)')
    .default('0 */5 * * * *'),

  GOLIVE_EVENTGRID_ENDPOINT: z
    .string()
    .trim()
    .refine((v) => /^https:\/\//.test(v) && URL.canParse(v), {
      message:
        "must be the Event Grid topic's https endpoint (https://<topic>.<region>-1.eventgrid.azure.net/api/events)",
    })
    .optional(),
  GOLIVE_EVENTGRID_TOKEN: z.string().min(1).optional(),
  GOLIVE_EVENTGRID_RETRY_HOURS: z.coerce.number().positive().max(168).default(24),
  GOLIVE_PROGRESS_EVENTS: z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => v === 'true' || v === 'false', 'must be true or false')
    .transform((v) => v === 'true')
    .default(false),

  APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().min(1).optional(),
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: z
    .string()
    .trim()
    .regex(
      /^(\s*[A-Za-z]+=[^;]*;?)+$/,
      'must be `Authorization=AAD` with an optional `ClientId=<user-assigned identity client id>`',
    )
    .optional(),
});

type Settings = z.output<typeof schema>;

/** A setting's value when that setting alone is valid, so checks across settings run even when others are bad. */
function validValue<K extends keyof Settings>(raw: Record<string, string>, name: K): Settings[K] | undefined {
  const result = schema.shape[name].safeParse(raw[name]);
  return result.success ? (result.data as Settings[K]) : undefined;
}

/** Rules that involve two settings. */
function crossSettingProblems(raw: Record<string, string>): { setting: string; reason: string }[] {
  const problems: { setting: string; reason: string }[] = [];
  for (const [token, base] of [
    ['PARTNER_API_TOKEN', 'PARTNER_API_BASE_URL'],
    ['PRODUCT_INGESTION_TOKEN', 'PRODUCT_INGESTION_BASE_URL'],
    ['GOLIVE_EVENTGRID_TOKEN', 'GOLIVE_EVENTGRID_ENDPOINT'],
  ] as const) {
    const baseUrl = validValue(raw, base);
    if (raw[token] !== undefined && baseUrl !== undefined && !isLoopbackUrl(baseUrl)) {
      problems.push({
        setting: token,
        reason: `is a development token for the local simulator only; unset it or point ${base} at localhost`,
      });
    }
  }
  if (raw.GOLIVE_EVENTGRID_TOKEN !== undefined && raw.GOLIVE_EVENTGRID_ENDPOINT === undefined) {
    problems.push({
      setting: 'GOLIVE_EVENTGRID_TOKEN',
      reason: 'is a development token for a loopback GOLIVE_EVENTGRID_ENDPOINT only; unset it or set that endpoint',
    });
  }
  const interval = validValue(raw, 'GOLIVE_POLL_INTERVAL_SECONDS');
  const max = validValue(raw, 'GOLIVE_POLL_MAX_INTERVAL_SECONDS');
  if (interval !== undefined && max !== undefined && max < interval) {
    problems.push({
      setting: 'GOLIVE_POLL_MAX_INTERVAL_SECONDS',
      reason: 'must be at least GOLIVE_POLL_INTERVAL_SECONDS',
    });
  }
  return problems;
}

export type SettingName = keyof Settings;

/** The names of every setting `loadConfig` reads (the parity tests compare this with docs/settings.md, the sample and infra). */
export const SETTING_NAMES = Object.keys(schema.shape) as SettingName[];

export interface PartnerApiConfig {
  baseUrl: string;
  apiVersion: string;
  scope: string;
  /** Fixed bearer token for the local simulator; never set in Azure. */
  devToken: string | undefined;
  /**
   * The publisher's Entra app that trusts the app's managed identity as a federated credential: tokens are issued
   * to that app without any stored secret.
   */
  federatedClientId: string | undefined;
  timeoutMs: number;
  maxRetries: number;
}

export interface ProductIngestionConfig {
  baseUrl: string;
  schemaVersion: string;
  scope: string;
  devToken: string | undefined;
}

export interface AppConfig {
  partnerApi: PartnerApiConfig;
  productIngestion: ProductIngestionConfig;
  golive: {
    defaultApi: 'cpp' | 'productIngestion';
    requestsQueue: string;
    eventsQueue: string;
    rejectedQueue: string;
    pollIntervalSeconds: number;
    pollMaxIntervalSeconds: number;
    deadlineMinutes: number;
    pollsPerHistory: number;
    schedule: string;
    scheduledOffers: { publisherId: string; offerId: string }[];
    /** When the reconciler looks for runs that ended without a completion event. */
    reconcileSchedule: string;
    /** The Event Grid topic events go to besides the queue (docs/events.md). */
    eventGrid: {
      endpoint: string | undefined;
      /** Fixed bearer token for a loopback endpoint (the local Event Grid endpoint); never set in Azure. */
      devToken: string | undefined;
      retryHours: number;
    };
    /** `golive.progressed` events when a run's steps or phase change. */
    progressEvents: boolean;
  };
  /**
   * The host's storage account (`AzureWebJobsStorage`), where the app keeps its own small table (the submit ledger):
   * a connection string locally, the table endpoint and the managed identity in Azure (identity-based connection).
   */
  storage: StorageConfig;
  applicationInsightsConnectionString: string | undefined;
  /** Entra ID (AAD) authentication for telemetry, needed when the resource disables local auth. */
  applicationInsightsAuthentication: { aad: boolean; clientId: string | undefined };
}

export type StorageConfig =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; tableServiceUri: string; clientId: string | undefined }
  | { kind: 'none' };

/**
 * `AzureWebJobsStorage` as the Functions host reads it: a connection string, or an identity-based connection
 * (`AzureWebJobsStorage__tableServiceUri`, or `__accountName`, with `__clientId` for a user-assigned identity).
 */
function storageConfig(env: NodeJS.ProcessEnv): StorageConfig {
  const get = (name: string) => env[name]?.trim() || undefined;
  const connectionString = get('AzureWebJobsStorage');
  if (connectionString) return { kind: 'connectionString', connectionString };
  const account = get('AzureWebJobsStorage__accountName');
  const tableServiceUri =
    get('AzureWebJobsStorage__tableServiceUri') ?? (account ? `https://${account}.table.core.windows.net` : undefined);
  if (tableServiceUri) return { kind: 'identity', tableServiceUri, clientId: get('AzureWebJobsStorage__clientId') };
  return { kind: 'none' };
}

/** Reads `Authorization=AAD;ClientId=...` (the Functions host's own format for this setting). */
function parseAuthenticationString(value: string | undefined): { aad: boolean; clientId: string | undefined } {
  const fields = new Map<string, string>();
  for (const part of (value ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return {
    aad: fields.get('authorization')?.toUpperCase() === 'AAD',
    clientId: fields.get('clientid') || undefined,
  };
}

/** A bad setting: lists every bad setting by name and why, never a value. */
export class ConfigError extends Error {
  readonly code: ErrorCode = 'InvalidConfiguration';
  override readonly name = 'ConfigError';
  constructor(readonly problems: { setting: string; reason: string }[]) {
    super(
      `Invalid configuration (${problems.length} setting${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.setting}: ${p.reason}`).join('\n'),
    );
  }
}

/** Reads and validates the settings from `env` (empty strings count as unset). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const name of SETTING_NAMES) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') raw[name] = value;
  }
  const result = schema.safeParse(raw);
  const problems = [
    ...(result.error?.issues ?? []).map((issue) => ({
      setting: String(issue.path[0] ?? 'configuration'),
      // zod messages name the rule, not the received value, so they are safe for secrets too.
      reason: issue.message,
    })),
    ...crossSettingProblems(raw),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const s = result.data;
  return {
    partnerApi: {
      baseUrl: new URL(s.PARTNER_API_BASE_URL).origin,
      apiVersion: s.PARTNER_API_VERSION,
      scope: s.PARTNER_API_SCOPE,
      devToken: s.PARTNER_API_TOKEN,
      federatedClientId: s.PARTNER_API_FEDERATED_CLIENT_ID,
      timeoutMs: s.PARTNER_API_TIMEOUT_SECONDS * 1000,
      maxRetries: s.PARTNER_API_MAX_RETRIES,
    },
    productIngestion: {
      baseUrl: s.PRODUCT_INGESTION_BASE_URL.replace(/\/+$/, ''),
      schemaVersion: s.PRODUCT_INGESTION_SCHEMA_VERSION,
      scope: s.PRODUCT_INGESTION_SCOPE,
      devToken: s.PRODUCT_INGESTION_TOKEN,
    },
    golive: {
      defaultApi: s.GOLIVE_DEFAULT_API,
      requestsQueue: s.GOLIVE_REQUESTS_QUEUE,
      eventsQueue: s.GOLIVE_EVENTS_QUEUE,
      rejectedQueue: s.GOLIVE_REJECTED_QUEUE,
      pollIntervalSeconds: s.GOLIVE_POLL_INTERVAL_SECONDS,
      pollMaxIntervalSeconds: s.GOLIVE_POLL_MAX_INTERVAL_SECONDS,
      deadlineMinutes: s.GOLIVE_DEADLINE_MINUTES,
      pollsPerHistory: s.GOLIVE_POLLS_PER_HISTORY,
      schedule: s.GOLIVE_SCHEDULE,
      scheduledOffers: s.GOLIVE_SCHEDULED_OFFERS,
      reconcileSchedule: s.GOLIVE_RECONCILE_SCHEDULE,
      eventGrid: {
        endpoint: s.GOLIVE_EVENTGRID_ENDPOINT,
        devToken: s.GOLIVE_EVENTGRID_TOKEN,
        retryHours: s.GOLIVE_EVENTGRID_RETRY_HOURS,
      },
      progressEvents: s.GOLIVE_PROGRESS_EVENTS,
    },
    storage: storageConfig(env),
    applicationInsightsConnectionString: s.APPLICATIONINSIGHTS_CONNECTION_STRING,
    applicationInsightsAuthentication: parseAuthenticationString(s.APPLICATIONINSIGHTS_AUTHENTICATION_STRING),
  };
}

let cached: AppConfig | undefined;

/** The app's settings, read from the environment once per process. */
export function getConfig(): AppConfig {
  cached ??= loadConfig();
  return cached;
}

/** For tests: forget the cached settings. */
export function resetConfigForTests(): void {
  cached = undefined;
}
