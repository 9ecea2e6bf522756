import {
  ClientAssertionCredential,
  CredentialUnavailableError,
  DefaultAzureCredential,
  type TokenCredential,
} from '@azure/identity';

import { loadConfig } from '../../../src/config';
import { closePartnerApis, createPartnerApi, PartnerApiError } from '../../../src/partner';
import { CloudPartnerPortalClient } from '../../../src/partner/cloudPartnerPortalClient';
import {
  createPartnerCredential,
  FEDERATED_ASSERTION_SCOPE,
  getAccessToken,
  managedIdentityAssertion,
  StaticTokenCredential,
} from '../../../src/partner/credential';
import { caught, errorTexts, harness } from './helpers';

const SECRET = 'client-secret-VALUE-93xq';

describe('createPartnerCredential', () => {
  it('returns the static development token when one is configured', async () => {
    const credential = createPartnerCredential({ devToken: 'dev-token-1' });
    expect(credential).toBeInstanceOf(StaticTokenCredential);
    expect(await getAccessToken(credential, 'scope/.default')).toBe('dev-token-1');
    expect(JSON.stringify(credential)).not.toContain('dev-token-1');
  });

  it('uses DefaultAzureCredential otherwise (with or without a user-assigned client id)', () => {
    expect(createPartnerCredential({}, {})).toBeInstanceOf(DefaultAzureCredential);
    expect(
      createPartnerCredential({ devToken: undefined }, { AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001' }),
    ).toBeInstanceOf(DefaultAzureCredential);
  });
});

describe('federated credential (publisher Entra app trusting the managed identity)', () => {
  const appId = '11111111-2222-3333-4444-555555555555';

  it('asserts the publisher app with the managed identity when PARTNER_API_FEDERATED_CLIENT_ID is set', () => {
    const credential = createPartnerCredential(
      { federatedClientId: appId },
      { AZURE_TENANT_ID: 'tenant-1', AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001' },
    );
    expect(credential).toBeInstanceOf(ClientAssertionCredential);
  });

  it('needs the publisher tenant', () => {
    let error: unknown;
    try {
      createPartnerCredential({ federatedClientId: appId }, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PartnerApiError);
    expect((error as PartnerApiError).code).toBe('CredentialUnavailable');
    expect((error as PartnerApiError).message).toContain('AZURE_TENANT_ID');
  });

  it('uses a managed identity token for the token exchange audience as the assertion', async () => {
    const scopes: string[] = [];
    const managedIdentity: TokenCredential = {
      getToken: async (scope) => {
        scopes.push(String(scope));
        return { token: 'mi-token', expiresOnTimestamp: Date.now() + 60_000 };
      },
    };
    await expect(managedIdentityAssertion(managedIdentity)()).resolves.toBe('mi-token');
    expect(scopes).toEqual([FEDERATED_ASSERTION_SCOPE]);
    const empty: TokenCredential = { getToken: async () => null };
    await expect(managedIdentityAssertion(empty)()).rejects.toThrow(/no token/);
  });
});

describe('getAccessToken', () => {
  const failing = (error: Error): TokenCredential => ({
    getToken: () => Promise.reject(error),
  });

  it('turns a credential failure into CredentialUnavailable that names the settings, never the secret', async () => {
    const env = { AZURE_CLIENT_SECRET: SECRET };
    const e = await caught(
      getAccessToken(
        failing(new CredentialUnavailableError(`EnvironmentCredential: secret ${SECRET} rejected`)),
        'https://cloudpartner.azure.com/.default',
        {},
        env,
      ),
    );
    expect(e).toBeInstanceOf(PartnerApiError);
    expect(e).toMatchObject({ code: 'CredentialUnavailable', retriable: false });
    const message = (e as Error).message;
    expect(message).toContain('https://cloudpartner.azure.com/.default');
    for (const setting of [
      'AZURE_CLIENT_ID',
      'AZURE_TENANT_ID',
      'AZURE_CLIENT_SECRET',
      'PARTNER_API_SCOPE',
      'PARTNER_API_TOKEN',
    ]) {
      expect(message).toContain(setting);
    }
    expect(message).toContain('CredentialUnavailableError');
    for (const text of [message, JSON.stringify(e)]) expect(text).not.toContain(SECRET);
  });

  it('refuses an empty token', async () => {
    const empty: TokenCredential = { getToken: async () => null };
    expect(await caught(getAccessToken(empty, 's'))).toMatchObject({ code: 'CredentialUnavailable' });
  });

  it('stops a client call before any request when the credential fails', async () => {
    const h = harness({ credential: failing(new Error('no identity')) });
    try {
      const e = await caught(h.client.startGoLive({ api: 'cpp', publisherId: 'p', offerId: 'o' }));
      expect(e).toMatchObject({ code: 'CredentialUnavailable' });
      expect(h.calls()).toHaveLength(0);
      for (const text of errorTexts(e)) expect(text).not.toContain(SECRET);
    } finally {
      await h.close();
    }
  });
});

describe('createPartnerApi', () => {
  const config = loadConfig({ PARTNER_API_BASE_URL: 'http://127.0.0.1:1', PARTNER_API_TOKEN: 'local-dev-token' });

  it('builds the CPP client, cached per kind', async () => {
    const a = createPartnerApi('cpp', config);
    expect(a).toBeInstanceOf(CloudPartnerPortalClient);
    expect(a.kind).toBe('cpp');
    expect(createPartnerApi('cpp', config)).toBe(a);
    expect((a as CloudPartnerPortalClient).baseUrl).toBe('http://127.0.0.1:1');
    await closePartnerApis();
    expect(createPartnerApi('cpp', config)).not.toBe(a);
    await closePartnerApis();
  });

  it('builds a fresh client when options are given', async () => {
    const a = createPartnerApi('cpp', config, { retryBaseMs: 1 }) as CloudPartnerPortalClient;
    const b = createPartnerApi('cpp', config, { retryBaseMs: 1 }) as CloudPartnerPortalClient;
    expect(b).not.toBe(a);
    await Promise.all([a.close(), b.close()]);
  });
});
