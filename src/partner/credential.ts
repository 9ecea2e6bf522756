/**
 * The partner API's bearer tokens. In Azure: `DefaultAzureCredential` (managed identity, with `AZURE_CLIENT_ID` for a
 * user-assigned one; a client secret or workload identity from the standard `AZURE_*` settings). Locally: the fixed
 * development token of the simulator (`PARTNER_API_TOKEN`, which the settings allow only for a loopback origin).
 * Tokens are asked for on every request; `@azure/identity` caches and refreshes them.
 */
import {
  type AccessToken,
  ClientAssertionCredential,
  DefaultAzureCredential,
  type GetTokenOptions,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';

import { PartnerApiError } from './errors';

/** A credential that always returns the same token (the local simulator's development token). */
export class StaticTokenCredential implements TokenCredential {
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  async getToken(): Promise<AccessToken> {
    // A fixed token never expires as far as the client is concerned.
    return { token: this.#token, expiresOnTimestamp: Date.now() + 24 * 3_600_000, tokenType: 'Bearer' };
  }

  /** Never prints the token. */
  toJSON(): { kind: string } {
    return { kind: 'StaticTokenCredential' };
  }
}

export interface CredentialSettings {
  /** Fixed development token; set only for a loopback origin. */
  devToken?: string | undefined;
  /** The publisher's Entra app that trusts the app's managed identity (`PARTNER_API_FEDERATED_CLIENT_ID`). */
  federatedClientId?: string | undefined;
}

/** Microsoft Entra's audience for a managed identity token used as a federated credential assertion. */
export const FEDERATED_ASSERTION_SCOPE = 'api://AzureADTokenExchange/.default';

/**
 * Tokens of the publisher's Entra app, asserted with the app's managed identity (a federated identity credential
 * on that Entra app): no secret is stored anywhere.
 */
export function createFederatedCredential(
  tenantId: string,
  publisherAppClientId: string,
  managedIdentity: TokenCredential,
): ClientAssertionCredential {
  return new ClientAssertionCredential(tenantId, publisherAppClientId, managedIdentityAssertion(managedIdentity));
}

/** The client assertion: a managed identity token for Entra's token exchange audience. */
export function managedIdentityAssertion(managedIdentity: TokenCredential): () => Promise<string> {
  return async () => {
    const token = await managedIdentity.getToken(FEDERATED_ASSERTION_SCOPE);
    if (!token?.token) throw new Error('The managed identity returned no token for the federated credential');
    return token.token;
  };
}

/**
 * The partner API credential: the static development token when one is configured; with a federated client id, the
 * publisher's Entra app asserted by the managed identity (`AZURE_CLIENT_ID`, in tenant `AZURE_TENANT_ID`); else
 * `DefaultAzureCredential` (with `AZURE_CLIENT_ID` as the user-assigned managed identity, when set).
 */
export function createPartnerCredential(
  settings: CredentialSettings,
  env: NodeJS.ProcessEnv = process.env,
): TokenCredential {
  if (settings.devToken) return new StaticTokenCredential(settings.devToken);
  const clientId = env['AZURE_CLIENT_ID']?.trim();
  if (settings.federatedClientId) {
    const tenantId = env['AZURE_TENANT_ID']?.trim();
    if (!tenantId) {
      throw new PartnerApiError(
        'CredentialUnavailable',
        "PARTNER_API_FEDERATED_CLIENT_ID is set, so AZURE_TENANT_ID must name the publisher's Entra tenant",
      );
    }
    const managedIdentity = new ManagedIdentityCredential(clientId ? { clientId } : {});
    return createFederatedCredential(tenantId, settings.federatedClientId, managedIdentity);
  }
  return clientId ? new DefaultAzureCredential({ managedIdentityClientId: clientId }) : new DefaultAzureCredential();
}

const CREDENTIAL_HELP =
  'In Azure, give the Function App a managed identity (for a user-assigned one set AZURE_CLIENT_ID); ' +
  'for a service principal set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET; ' +
  'for workload identity set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE. ' +
  'Locally, run the simulator and set PARTNER_API_TOKEN with a localhost PARTNER_API_BASE_URL. ' +
  'Also check PARTNER_API_SCOPE';

/** The first line of an identity error, short, with any configured secret value removed. */
function describeCause(e: unknown, env: NodeJS.ProcessEnv): string {
  if (!(e instanceof Error)) return 'unknown error';
  let text = (e.message.split('\n')[0] ?? '').slice(0, 300);
  for (const name of ['AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PASSWORD', 'PARTNER_API_TOKEN']) {
    const secret = env[name];
    if (secret && secret.length >= 4) text = text.split(secret).join('***');
  }
  return `${e.name}: ${text}`;
}

/**
 * A bearer token for `scope`. A credential failure becomes `PartnerApiError('CredentialUnavailable')` whose message
 * says which settings to set; it never holds a secret.
 */
export async function getAccessToken(
  credential: TokenCredential,
  scope: string,
  options: GetTokenOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  let token: AccessToken | null;
  try {
    token = await credential.getToken(scope, options);
  } catch (e) {
    throw new PartnerApiError(
      'CredentialUnavailable',
      `Could not get a token for the partner API (scope ${scope}): ${describeCause(e, env)}. ${CREDENTIAL_HELP}.`,
      { cause: e },
    );
  }
  if (!token?.token) {
    throw new PartnerApiError(
      'CredentialUnavailable',
      `The credential returned no token for the partner API (scope ${scope}). ${CREDENTIAL_HELP}.`,
    );
  }
  return token.token;
}
