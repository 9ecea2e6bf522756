/**
 * Secret hygiene: looks for the partner API token, anything shaped like a bearer header, the client secret and the
 * storage account key in every text a run produced (host logs, events, rejected and poison messages, custom
 * status, stored history, blobs). Findings name the secret kind and where it was seen, never the value.
 */
import type { StoredText } from './storage';

/** Azurite's well-known development account key (public, but still a storage key that must never be echoed). */
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface SecretValues {
  /** The bearer token the simulator accepts (PARTNER_API_TOKEN / PRODUCT_INGESTION_TOKEN). */
  token: string;
  /** The fake AZURE_CLIENT_SECRET set in the host's environment. */
  clientSecret: string;
  /** The storage account key. */
  accountKey: string;
}

export interface SecretFinding {
  kind: 'partner token' | 'bearer header' | 'client secret' | 'storage key' | 'connection string key';
  where: string;
}

/** A fresh random value that cannot occur by chance. */
export function randomSecret(prefix: string): string {
  const bytes = new Uint8Array(18);
  crypto.getRandomValues(bytes);
  return `${prefix}-${Buffer.from(bytes).toString('hex')}`;
}

const BEARER = /Bearer\s+[A-Za-z0-9\-._~+/]{12,}=*/;
const ACCOUNT_KEY_SETTING = /AccountKey\s*=\s*[^;\s"']{8,}/i;

export function scanText(text: string, where: string, secrets: SecretValues): SecretFinding[] {
  const found: SecretFinding[] = [];
  if (text.includes(secrets.token)) found.push({ kind: 'partner token', where });
  if (BEARER.test(text)) found.push({ kind: 'bearer header', where });
  if (text.includes(secrets.clientSecret)) found.push({ kind: 'client secret', where });
  if (text.includes(secrets.accountKey)) found.push({ kind: 'storage key', where });
  else if (ACCOUNT_KEY_SETTING.test(text)) found.push({ kind: 'connection string key', where });
  return found;
}

export function scanAll(
  items: Iterable<StoredText>,
  secrets: SecretValues,
): { scanned: number; findings: SecretFinding[] } {
  let scanned = 0;
  const findings: SecretFinding[] = [];
  for (const item of items) {
    scanned++;
    findings.push(...scanText(item.text, item.where, secrets));
  }
  return { scanned, findings };
}
