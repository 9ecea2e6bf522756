import { ConfigError, loadConfig, SETTING_NAMES } from '../../../src/config';
import { BicepFile, evaluate, type Expr, isPlainObject, objectAt, property, Ref, type Value } from './bicep';
import { bicep, codeNames, markdownSection, markdownTables, memberPath, readJson, readText } from './files';

/** Development-only settings: refused outside loopback by src/config.ts, so never set in Azure. */
const DEV_ONLY = ['PARTNER_API_TOKEN', 'PRODUCT_INGESTION_TOKEN', 'GOLIVE_EVENTGRID_TOKEN'];

/** Settings infra sets from a resource it creates (a module output), not from a literal. */
const FROM_RESOURCES = ['GOLIVE_EVENTGRID_ENDPOINT'];

const main = bicep('infra/main.bicep');
const api = bicep('infra/app/api.bicep');

function siteModule(file: BicepFile) {
  const site = file.modules().find((m) => m.path.startsWith('br/public:avm/res/web/site:'));
  if (!site) throw new Error('api.bicep has no AVM web/site module');
  return site;
}

/** The expression api.bicep passes as the `appsettings` config of the site. */
function appSettingsExpression(): Expr {
  const configs = property(objectAt(siteModule(api).value, 'params')!, 'configs');
  if (configs?.kind !== 'array') throw new Error('site configs is not an array literal');
  const appsettings = configs.items.find(
    (item) =>
      item.kind === 'object' &&
      item.properties.some((p) => p.key === 'name' && evaluate(p.value, {}) === 'appsettings'),
  );
  const properties = appsettings && property(appsettings, 'properties');
  if (!properties) throw new Error('no appsettings config');
  return properties;
}

/** The app's settings main.bicep passes to the api module. */
function mainAppSettings(): Extract<Expr, { kind: 'object' }> {
  const settings = objectAt(main.module('api').value, 'params', 'appSettings');
  if (!settings) throw new Error('main.bicep passes no appSettings object to api');
  return settings;
}

/** Every key the app settings can hold, whichever branch a condition takes. */
function settingKeys(expr: Expr, file: BicepFile): Set<string> {
  const keys = new Set<string>();
  const walk = (e: Expr): void => {
    switch (e.kind) {
      case 'object':
        e.properties.forEach((p) => keys.add(p.key));
        return;
      case 'ternary':
        walk(e.consequent);
        walk(e.alternate);
        return;
      case 'call':
        if (e.callee.kind === 'ident' && e.callee.name === 'union') e.args.forEach(walk);
        else throw new Error(`unexpected call in app settings: ${e.callee.kind}`);
        return;
      case 'ident': {
        const v = file.vars().find((d) => d.name === e.name);
        if (v) return walk(v.value);
        if (file === api && e.name === 'appSettings') return walk(mainAppSettings());
        throw new Error(`app settings refer to ${e.name}, which is neither a var nor appSettings`);
      }
      default:
        throw new Error(`unexpected ${e.kind} in app settings`);
    }
  };
  walk(expr);
  return keys;
}

function apiSettings(overrides: Record<string, Value> = {}): { [key: string]: Value } {
  const scope = api.scope({ appSettings: {}, ...overrides });
  const value = evaluate(appSettingsExpression(), scope);
  if (!isPlainObject(value)) throw new Error('app settings do not evaluate to an object');
  return value;
}

describe('settings parity', () => {
  const infraKeys = settingKeys(appSettingsExpression(), api);

  it('sets every setting of src/config.ts as an app setting, except the development-only tokens', () => {
    const missing = SETTING_NAMES.filter((n) => !DEV_ONLY.includes(n) && !infraKeys.has(n));
    expect(missing).toEqual([]);
    expect(DEV_ONLY.filter((n) => infraKeys.has(n))).toEqual([]);
  });

  it('the development-only tokens are ones src/config.ts refuses with the production origins', () => {
    for (const name of DEV_ONLY) {
      expect(SETTING_NAMES).toContain(name);
      expect(() => loadConfig({ [name]: 'x' })).toThrow(ConfigError);
    }
  });

  it('lists every setting in local.settings.sample.json Values', () => {
    const sample = readJson('local.settings.sample.json') as { Values: Record<string, string> };
    expect(SETTING_NAMES.filter((n) => !(n in sample.Values))).toEqual([]);
  });

  it('documents every setting in the settings table (docs/settings.md)', () => {
    const settings = markdownSection(readText('docs/settings.md'), '# Settings');
    const table = markdownTables(settings).find((t) => t.header[0] === 'Setting');
    expect(table).toBeDefined();
    const documented = new Set(table!.rows.flatMap((row) => codeNames(row[0] ?? '')));
    expect(SETTING_NAMES.filter((n) => !documented.has(n))).toEqual([]);
    for (const name of ['AzureWebJobsStorage', 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET']) {
      expect(documented).toContain(name);
    }
  });

  it('infra values pass src/config.ts and equal its production defaults', () => {
    const values = evaluate(mainAppSettings(), main.scope());
    expect(isPlainObject(values)).toBe(true);
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(values as Record<string, Value>)) {
      if (FROM_RESOURCES.includes(key)) continue;
      expect([key, typeof value]).toEqual([key, 'string']);
      env[key] = value as string;
    }
    expect(loadConfig(env)).toEqual(loadConfig({}));
    for (const key of FROM_RESOURCES) expect(Object.keys(values as object)).toContain(key);
  });
});

describe('platform settings', () => {
  it('connects AzureWebJobsStorage with the user-assigned identity, blob, queue and table', () => {
    const s = apiSettings();
    expect(s['AzureWebJobsStorage__credential']).toBe('managedidentity');
    expect(s['AzureWebJobsStorage__clientId']).toEqual(new Ref('identityClientId'));
    expect(s['AzureWebJobsStorage__blobServiceUri']).toEqual(new Ref('blobEndpoint'));
    expect(s['AzureWebJobsStorage__queueServiceUri']).toEqual(new Ref('queueEndpoint'));
    expect(s['AzureWebJobsStorage__tableServiceUri']).toEqual(new Ref('tableEndpoint'));
    expect(s).not.toHaveProperty('AzureWebJobsStorage');
    const params = objectAt(main.module('api').value, 'params')!;
    for (const [param, output] of [
      ['blobEndpoint', 'storage.outputs.blobEndpoint'],
      ['queueEndpoint', 'storage.outputs.queueEndpoint'],
      ['tableEndpoint', 'storage.outputs.tableEndpoint'],
      ['identityClientId', 'apiIdentity.outputs.clientId'],
      ['identityId', 'apiIdentity.outputs.resourceId'],
    ]) {
      expect([param, memberPath(property(params, param!))]).toEqual([param, output]);
    }
  });

  it('sends telemetry with Entra ID authentication as the user-assigned identity', () => {
    const s = apiSettings();
    expect(s['APPLICATIONINSIGHTS_AUTHENTICATION_STRING']).toBe('ClientId=${identityClientId};Authorization=AAD');
    expect(s['APPLICATIONINSIGHTS_CONNECTION_STRING']).toEqual(new Ref('applicationInsightsConnectionString'));
    expect(
      memberPath(property(objectAt(main.module('api').value, 'params')!, 'applicationInsightsConnectionString')),
    ).toBe('monitoring.outputs.connectionString');
  });

  it('sets no setting Flex Consumption refuses (the runtime is functionAppConfig.runtime)', () => {
    const keys = settingKeys(appSettingsExpression(), api);
    for (const name of [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_NODE_DEFAULT_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_CONTENTSHARE',
      'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
    ]) {
      expect(keys).not.toContain(name);
    }
  });

  it('the app settings given to api.bicep cannot override the platform settings', () => {
    const all = api.variable('allAppSettings').value;
    expect(all.kind === 'call' && all.callee.kind === 'ident' && all.callee.name).toBe('union');
    const args = all.kind === 'call' ? all.args.map((a) => memberPath(a)) : [];
    expect(args[0]).toBe('appSettings');
    const overridden = apiSettings({
      appSettings: { AzureWebJobsStorage__credential: 'connectionstring', AZURE_CLIENT_ID: 'x' },
    });
    expect(overridden['AzureWebJobsStorage__credential']).toBe('managedidentity');
    expect(overridden['AZURE_CLIENT_ID']).toEqual(new Ref('identityClientId'));
  });
});

describe('partner API credential', () => {
  it('managedIdentity: DefaultAzureCredential resolves to the user-assigned identity, no secret', () => {
    const s = apiSettings({ partnerCredential: 'managedIdentity' });
    expect(s['AZURE_CLIENT_ID']).toEqual(new Ref('identityClientId'));
    expect(s).not.toHaveProperty('AZURE_CLIENT_SECRET');
    expect(s).not.toHaveProperty('AZURE_FEDERATED_TOKEN_FILE');
    expect(s['AZURE_TOKEN_CREDENTIALS']).toBe('prod');
    expect(
      main.param('partnerCredential').defaultValue && evaluate(main.param('partnerCredential').defaultValue!, {}),
    ).toBe('managedIdentity');
  });

  it('keyVaultSecret: the client secret is a Key Vault reference resolved with the user-assigned identity', () => {
    const uri = 'https://kv-golive-x.vault.azure.net/secrets/partner-client-secret';
    const s = apiSettings({
      partnerCredential: 'keyVaultSecret',
      partnerTenantId: 'tenant-1',
      partnerClientId: 'app-1',
      partnerClientSecretUri: uri,
    });
    expect(s['AZURE_CLIENT_SECRET']).toBe(`@Microsoft.KeyVault(SecretUri=${uri})`);
    expect(s['AZURE_CLIENT_ID']).toBe('app-1');
    expect(s['AZURE_TENANT_ID']).toBe('tenant-1');
    const siteParams = objectAt(siteModule(api).value, 'params')!;
    expect(memberPath(property(siteParams, 'keyVaultAccessIdentityResourceId'))).toBe('identityId');
    const identities = objectAt(siteParams, 'managedIdentities')!;
    expect(evaluate(property(identities, 'systemAssigned')!, {})).toBe(false);
    const assigned = property(identities, 'userAssignedResourceIds');
    expect(assigned?.kind === 'array' && assigned.items.map((i) => memberPath(i))).toEqual(['identityId']);
  });

  it('federated: the publisher app is asserted by the user-assigned identity, no secret', () => {
    const s = apiSettings({ partnerCredential: 'federated', partnerTenantId: 'tenant-1', partnerClientId: 'app-1' });
    expect(s['PARTNER_API_FEDERATED_CLIENT_ID']).toBe('app-1');
    expect(s['AZURE_TENANT_ID']).toBe('tenant-1');
    expect(s['AZURE_CLIENT_ID']).toEqual(new Ref('identityClientId'));
    expect(s).not.toHaveProperty('AZURE_CLIENT_SECRET');
    expect(main.scope({ partnerCredential: 'federated' })['useKeyVault']).toBe(false);
  });

  it('keyVaultSecret: main.bicep creates the vault and passes its versionless secret URI', () => {
    expect(main.scope({ partnerCredential: 'keyVaultSecret' })['useKeyVault']).toBe(true);
    expect(main.scope()['useKeyVault']).toBe(false);
    const kv = main.module('keyVault');
    expect(kv.value.kind).toBe('if');
    const uri = property(objectAt(main.module('api').value, 'params')!, 'partnerClientSecretUri');
    expect(uri?.kind === 'ternary' && memberPath(uri.consequent)).toBe('keyVault.outputs.secretUri');
    const vault = bicep('infra/app/keyvault.bicep');
    const secretUri = vault.outputs().find((o) => o.name === 'secretUri')!;
    expect(
      evaluate(secretUri.value, { vault: { outputs: { uri: 'https://v.vault.azure.net/' } }, secretName: 's' }),
    ).toBe('https://v.vault.azure.net/secrets/s');
  });
});
