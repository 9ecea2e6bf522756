/**
 * App settings as the local host reads them: `local.settings.json` `Values` into the environment without
 * overriding variables that are already set (Core Tools does the same), the sample file's values when
 * `local.settings.json` is absent, `%Setting%` references, and storage connections.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { HostConfigError } from './errors';

export interface LocalSettings {
  /** The file the values came from, or undefined when neither file exists. */
  source: string | undefined;
  values: Record<string, string>;
  /** `Host.LocalHttpPort`, when set. */
  localHttpPort: number | undefined;
}

export type Env = Record<string, string | undefined>;

export const LOCAL_SETTINGS_FILE = 'local.settings.json';
export const SAMPLE_SETTINGS_FILE = 'local.settings.sample.json';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readLocalSettings(appDir: string): LocalSettings {
  const candidates = [LOCAL_SETTINGS_FILE, SAMPLE_SETTINGS_FILE].map((f) => path.join(appDir, f));
  const file = candidates.find((f) => existsSync(f));
  if (!file) return { source: undefined, values: {}, localHttpPort: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HostConfigError(`${path.basename(file)} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isRecord(parsed)) throw new HostConfigError(`${path.basename(file)} must be a JSON object.`);
  if (parsed.IsEncrypted === true) {
    throw new HostConfigError(
      `${path.basename(file)} is encrypted; decrypt it (func settings decrypt) or set "IsEncrypted": false.`,
    );
  }
  const values: Record<string, string> = {};
  const rawValues = isRecord(parsed.Values) ? parsed.Values : {};
  for (const [k, v] of Object.entries(rawValues)) {
    if (v === null || v === undefined) continue;
    values[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  const hostSection = isRecord(parsed.Host) ? parsed.Host : {};
  const port = hostSection.LocalHttpPort;
  const localHttpPort = typeof port === 'number' ? port : typeof port === 'string' && port ? Number(port) : undefined;
  if (localHttpPort !== undefined && (!Number.isInteger(localHttpPort) || localHttpPort < 0 || localHttpPort > 65535)) {
    throw new HostConfigError(`${path.basename(file)}: Host.LocalHttpPort must be a port number.`);
  }
  return { source: file, values, localHttpPort };
}

/** Copies values into `env` where `env` has no value yet; returns the names applied. */
export function applySettings(values: Record<string, string>, env: Env): string[] {
  const applied: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (env[k] === undefined) {
      env[k] = v;
      applied.push(k);
    }
  }
  return applied;
}

/** Resolves `%Name%` references from app settings, as binding expressions in the host do. */
export function resolveSettingRefs(value: string, env: Env, where: string): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined)
      throw new HostConfigError(`${where}: app setting "${name}" (referenced as %${name}%) is not set.`);
    return v;
  });
}

/** Resolves `%Name%` in every string option of a binding. */
export function resolveBindingOptions<T extends Record<string, unknown>>(binding: T, env: Env, where: string): T {
  const out: Record<string, unknown> = { ...binding };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v === 'string' && v.includes('%')) out[k] = resolveSettingRefs(v, env, `${where} "${k}"`);
  }
  return out as T;
}

/** Azurite's well-known development account (public, documented; never printed). */
export const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export const DEFAULT_AZURITE_PORTS = { blob: 10000, queue: 10001, table: 10002 } as const;

export interface StoragePorts {
  blob: number;
  queue: number;
  table: number;
}

export function azuriteConnectionString(ports: StoragePorts, host = '127.0.0.1'): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
    `BlobEndpoint=http://${host}:${ports.blob}/${DEV_ACCOUNT};` +
    `QueueEndpoint=http://${host}:${ports.queue}/${DEV_ACCOUNT};` +
    `TableEndpoint=http://${host}:${ports.table}/${DEV_ACCOUNT};`
  );
}

export function isDevelopmentStorage(value: string): boolean {
  return /^\s*UseDevelopmentStorage\s*=\s*true\s*;?\s*$/i.test(value);
}

export class IdentityStorageNotSupportedError extends HostConfigError {
  constructor(connection: string, keys: string[]) {
    super(
      `${keys.join(', ')} configure an identity-based connection for "${connection}", which the local host does not support. ` +
        `Set "${connection}" to "UseDevelopmentStorage=true" (Azurite) or to a full storage connection string in local.settings.json.`,
    );
    (this as { code: string }).code = 'IDENTITY_STORAGE_UNSUPPORTED';
  }
}

/**
 * The connection string for a binding's `connection` (default `AzureWebJobsStorage`): the setting itself, else
 * `AzureWebJobs<name>` (the host's lookup order). `UseDevelopmentStorage=true` becomes the Azurite endpoints.
 */
export function resolveStorageConnection(connection: string | undefined, env: Env, azurite?: StoragePorts): string {
  const name = connection && connection.length > 0 ? connection : 'AzureWebJobsStorage';
  const value = env[name] ?? env[`AzureWebJobs${name}`];
  if (value === undefined || value === '') {
    const identityKeys = Object.keys(env).filter(
      (k) => k.startsWith(`${name}__`) || k.startsWith(`AzureWebJobs${name}__`),
    );
    if (identityKeys.length) throw new IdentityStorageNotSupportedError(name, identityKeys);
    throw new HostConfigError(
      `Storage connection "${name}" is not set; set it in local.settings.json (e.g. "UseDevelopmentStorage=true").`,
    );
  }
  if (isDevelopmentStorage(value)) return azuriteConnectionString(azurite ?? DEFAULT_AZURITE_PORTS);
  return value;
}

/** Parses `Key=Value;...` connection strings (keys case-insensitive). */
export function parseConnectionString(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim().toLowerCase()] = part.slice(i + 1).trim();
  }
  return out;
}

/**
 * App setting that names the local host's Durable task hub. The Functions host never reads it: it takes
 * host.json `extensions.durableTask.hubName` (`golive`).
 */
export const LOCAL_TASK_HUB_SETTING = 'LOCAL_HOST_TASK_HUB';

/**
 * The local host's task hub: `LOCAL_HOST_TASK_HUB` when set, else host.json's hub name with `local` appended
 * (`golivelocal`). Never host.json's name itself by default, so a real host (`func start`, or an app in Azure
 * pointed at the same Azurite or storage account) and the local host never read each other's instances, history,
 * control queues or leases, which are all named after the hub.
 */
export function localTaskHubName(hostJsonHubName: string, env: Env): string {
  const configured = env[LOCAL_TASK_HUB_SETTING]?.trim();
  return configured ? configured : `${hostJsonHubName}local`;
}
