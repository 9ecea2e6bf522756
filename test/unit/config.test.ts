import {
  ConfigError,
  getConfig,
  loadConfig,
  resetConfigForTests,
  SECRET_SETTINGS,
  SETTING_NAMES,
} from '../../src/config';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('defaults to the production values', () => {
    expect(loadConfig({})).toEqual({
      partnerApi: {
        baseUrl: 'https://cloudpartner.azure.com',
        apiVersion: '2017-10-31',
        scope: 'https://cloudpartner.azure.com/.default',
        devToken: undefined,
        federatedClientId: undefined,
        timeoutMs: 30_000,
        maxRetries: 4,
      },
      productIngestion: {
        baseUrl: 'https://graph.microsoft.com/rp/product-ingestion',
        schemaVersion: '2022-03-01-preview2',
        scope: 'https://graph.microsoft.com/.default',
        devToken: undefined,
      },
      golive: {
        defaultApi: 'cpp',
        requestsQueue: 'golive-requests',
        eventsQueue: 'golive-events',
        rejectedQueue: 'golive-rejected',
        pollIntervalSeconds: 120,
        pollMaxIntervalSeconds: 3_600,
        deadlineMinutes: 10_080,
        pollsPerHistory: 100,
        schedule: '0 0 6 * * *',
        scheduledOffers: [],
        reconcileSchedule: '0 */5 * * * *',
        eventGrid: { endpoint: undefined, devToken: undefined, retryHours: 24 },
        progressEvents: false,
      },
      storage: { kind: 'none' },
      applicationInsightsConnectionString: undefined,
      applicationInsightsAuthentication: { aad: false, clientId: undefined },
    });
  });

  it('reads the Event Grid settings; the fixed token only with a loopback endpoint, never quoting it', () => {
    const local = loadConfig({
      GOLIVE_EVENTGRID_ENDPOINT: 'https://127.0.0.1:7443/api/events',
      GOLIVE_EVENTGRID_TOKEN: 'tok-secret-value',
      GOLIVE_EVENTGRID_RETRY_HOURS: '0.5',
      GOLIVE_PROGRESS_EVENTS: 'TRUE',
    }).golive;
    expect(local.eventGrid).toEqual({
      endpoint: 'https://127.0.0.1:7443/api/events',
      devToken: 'tok-secret-value',
      retryHours: 0.5,
    });
    expect(local.progressEvents).toBe(true);
    const refused = () =>
      loadConfig({
        GOLIVE_EVENTGRID_ENDPOINT: 'https://egt.westeurope-1.eventgrid.azure.net/api/events',
        GOLIVE_EVENTGRID_TOKEN: 'tok-secret-value',
      });
    expect(refused).toThrow(ConfigError);
    expect(refused).toThrow(/GOLIVE_EVENTGRID_TOKEN: is a development token/);
    expect(refused).not.toThrow(/tok-secret-value/);
    expect(() => loadConfig({ GOLIVE_EVENTGRID_TOKEN: 'x' })).toThrow(/GOLIVE_EVENTGRID_TOKEN/);
    expect(() => loadConfig({ GOLIVE_EVENTGRID_ENDPOINT: 'http://egt.example/api/events' })).toThrow(
      /GOLIVE_EVENTGRID_ENDPOINT: must be the Event Grid topic's https endpoint/,
    );
    expect(() => loadConfig({ GOLIVE_PROGRESS_EVENTS: 'yes' })).toThrow(
      /GOLIVE_PROGRESS_EVENTS: must be true or false/,
    );
    expect(() => loadConfig({ GOLIVE_EVENTGRID_RETRY_HOURS: '0' })).toThrow(/GOLIVE_EVENTGRID_RETRY_HOURS/);
  });

  it('treats empty and blank values as unset', () => {
    expect(loadConfig({ PARTNER_API_BASE_URL: '', PARTNER_API_TIMEOUT_SECONDS: '  ' }).partnerApi).toMatchObject({
      baseUrl: 'https://cloudpartner.azure.com',
      timeoutMs: 30_000,
    });
  });

  it('reads every kind of setting', () => {
    const config = loadConfig({
      PARTNER_API_BASE_URL: 'http://localhost:7071/ignored/path',
      PARTNER_API_TOKEN: 'local-dev-token',
      PARTNER_API_TIMEOUT_SECONDS: '5',
      PARTNER_API_MAX_RETRIES: '0',
      GOLIVE_DEFAULT_API: 'productIngestion',
      GOLIVE_POLL_INTERVAL_SECONDS: '60',
      GOLIVE_POLL_MAX_INTERVAL_SECONDS: '60',
      PRODUCT_INGESTION_BASE_URL: 'http://127.0.0.1:9999/rp/product-ingestion/',
      PARTNER_API_FEDERATED_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    });
    expect(config.partnerApi.federatedClientId).toBe('11111111-2222-3333-4444-555555555555');
    expect(config.partnerApi).toMatchObject({
      baseUrl: 'http://localhost:7071',
      devToken: 'local-dev-token',
      timeoutMs: 5_000,
      maxRetries: 0,
    });
    expect(config.productIngestion.baseUrl).toBe('http://127.0.0.1:9999/rp/product-ingestion');
    expect(config.golive).toMatchObject({ defaultApi: 'productIngestion', pollIntervalSeconds: 60 });
  });

  it('lists every bad setting by name in one error', () => {
    const e = configError({
      PARTNER_API_BASE_URL: 'ftp://nope',
      PARTNER_API_TIMEOUT_SECONDS: 'abc',
      PARTNER_API_MAX_RETRIES: '99',
      GOLIVE_REQUESTS_QUEUE: 'Bad_Queue',
      GOLIVE_DEFAULT_API: 'soap',
      GOLIVE_SCHEDULE: 'every day',
      GOLIVE_POLL_INTERVAL_SECONDS: '0',
    });
    expect(e.code).toBe('InvalidConfiguration');
    const names = e.problems.map((p) => p.setting).sort();
    expect(names).toEqual(
      [
        'GOLIVE_DEFAULT_API',
        'GOLIVE_POLL_INTERVAL_SECONDS',
        'GOLIVE_REQUESTS_QUEUE',
        'GOLIVE_SCHEDULE',
        'PARTNER_API_BASE_URL',
        'PARTNER_API_MAX_RETRIES',
        'PARTNER_API_TIMEOUT_SECONDS',
      ].sort(),
    );
    for (const name of names) expect(e.message).toContain(`- ${name}:`);
    expect(e.message).toMatch(/^Invalid configuration \(7 settings\)/);
  });

  it('checks the poll interval against its maximum', () => {
    const e = configError({ GOLIVE_POLL_INTERVAL_SECONDS: '600', GOLIVE_POLL_MAX_INTERVAL_SECONDS: '60' });
    expect(e.problems).toEqual([
      { setting: 'GOLIVE_POLL_MAX_INTERVAL_SECONDS', reason: 'must be at least GOLIVE_POLL_INTERVAL_SECONDS' },
    ]);
  });

  it('checks PRODUCT_INGESTION_SCHEMA_VERSION is a dated schema version', () => {
    for (const ok of ['2022-03-01-preview2', '2022-03-01-preview3', '2022-07-01', ' 2022-03-01-preview5 ']) {
      expect(loadConfig({ PRODUCT_INGESTION_SCHEMA_VERSION: ok }).productIngestion.schemaVersion).toBe(ok.trim());
    }
    for (const bad of ['latest', '2022-3-1', '2022-03-01-beta', '2022-13-01', '2022-03-01-preview2&x=1']) {
      const e = configError({ PRODUCT_INGESTION_SCHEMA_VERSION: bad });
      expect(e.problems.map((p) => p.setting)).toEqual(['PRODUCT_INGESTION_SCHEMA_VERSION']);
      expect(e.message).toContain('YYYY-MM-DD-previewN');
    }
  });

  it('reads the Application Insights authentication string', () => {
    expect(
      loadConfig({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=1234-abcd;Authorization=AAD' })
        .applicationInsightsAuthentication,
    ).toEqual({ aad: true, clientId: '1234-abcd' });
    expect(
      loadConfig({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' }).applicationInsightsAuthentication,
    ).toEqual({ aad: true, clientId: undefined });
    expect(
      configError({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'not a setting string' }).problems[0]?.setting,
    ).toBe('APPLICATIONINSIGHTS_AUTHENTICATION_STRING');
  });

  it('reports rules across settings together with unrelated bad settings', () => {
    const e = configError({
      GOLIVE_REQUESTS_QUEUE: 'Not A Queue',
      PARTNER_API_TOKEN: 'secret-dev-token',
      GOLIVE_POLL_INTERVAL_SECONDS: '600',
      GOLIVE_POLL_MAX_INTERVAL_SECONDS: '60',
    });
    expect(e.problems.map((p) => p.setting).sort()).toEqual([
      'GOLIVE_POLL_MAX_INTERVAL_SECONDS',
      'GOLIVE_REQUESTS_QUEUE',
      'PARTNER_API_TOKEN',
    ]);
  });

  it('refuses a development token for a non-loopback origin, without showing the token', () => {
    const token = 'dev-token-DO-NOT-SHOW-1234';
    const e = configError({ PARTNER_API_TOKEN: token, PRODUCT_INGESTION_TOKEN: token });
    expect(e.problems.map((p) => p.setting).sort()).toEqual(['PARTNER_API_TOKEN', 'PRODUCT_INGESTION_TOKEN']);
    expect(e.message).not.toContain(token);
    expect(JSON.stringify(e.problems)).not.toContain(token);
  });

  it.each(['http://localhost:7071', 'http://127.0.0.1:1234', 'http://127.3.4.5', 'http://[::1]:8080'])(
    'accepts a development token for %s',
    (url) => {
      expect(loadConfig({ PARTNER_API_BASE_URL: url, PARTNER_API_TOKEN: 't' }).partnerApi.devToken).toBe('t');
    },
  );

  it('never puts a secret value into the error text', () => {
    const secrets = {
      PARTNER_API_TOKEN: 'partner-token-SECRET-aaaa',
      AZURE_CLIENT_SECRET: 'client-secret-SECRET-bbbb',
      AzureWebJobsStorage:
        'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c3RvcmFnZS1rZXktU0VDUkVULWNjY2M=;EndpointSuffix=core.windows.net',
      APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=ikey-SECRET-dddd',
    };
    const e = configError({
      ...secrets,
      PARTNER_API_BASE_URL: 'https://cloudpartner.azure.com',
      PARTNER_API_TIMEOUT_SECONDS: secrets.PARTNER_API_TOKEN,
      GOLIVE_SCHEDULE: secrets.AZURE_CLIENT_SECRET,
    });
    expect(e.problems.map((p) => p.setting)).toEqual(
      expect.arrayContaining(['PARTNER_API_TIMEOUT_SECONDS', 'GOLIVE_SCHEDULE']),
    );
    const texts = [e.message, String(e), JSON.stringify(e), JSON.stringify(e.problems), e.stack ?? ''];
    for (const text of texts) {
      for (const value of [...Object.values(secrets), 'c3RvcmFnZS1rZXktU0VDUkVULWNjY2M=']) {
        expect(text).not.toContain(value);
      }
    }
  });

  it('parses scheduled offers (comma or whitespace separated)', () => {
    expect(
      loadConfig({ GOLIVE_SCHEDULED_OFFERS: 'contoso/vm-1, fabrikam/app_2\n  contoso/c ' }).golive.scheduledOffers,
    ).toEqual([
      { publisherId: 'contoso', offerId: 'vm-1' },
      { publisherId: 'fabrikam', offerId: 'app_2' },
      { publisherId: 'contoso', offerId: 'c' },
    ]);
  });

  it.each(['contoso', 'contoso/', '/offer', 'a/b/c', 'Contoso/Offer', `p/${'x'.repeat(51)}`])(
    'refuses the scheduled offer %p',
    (value) => {
      const e = configError({ GOLIVE_SCHEDULED_OFFERS: `ok/fine ${value}` });
      expect(e.problems).toHaveLength(1);
      expect(e.problems[0]?.setting).toBe('GOLIVE_SCHEDULED_OFFERS');
    },
  );

  it('lists its setting names, secrets among them', () => {
    expect(SETTING_NAMES).toEqual(expect.arrayContaining(['PARTNER_API_BASE_URL', 'GOLIVE_SCHEDULED_OFFERS']));
    for (const name of SECRET_SETTINGS) {
      if (name !== 'AzureWebJobsStorage' && name !== 'AZURE_CLIENT_SECRET') expect(SETTING_NAMES).toContain(name);
    }
  });
});

describe('getConfig', () => {
  const saved = process.env['PARTNER_API_VERSION'];
  afterEach(() => {
    if (saved === undefined) delete process.env['PARTNER_API_VERSION'];
    else process.env['PARTNER_API_VERSION'] = saved;
    resetConfigForTests();
  });

  it('reads the environment once per process', () => {
    resetConfigForTests();
    process.env['PARTNER_API_VERSION'] = '2099-01-01';
    const first = getConfig();
    process.env['PARTNER_API_VERSION'] = '2100-01-01';
    expect(getConfig()).toBe(first);
    expect(first.partnerApi.apiVersion).toBe('2099-01-01');
    resetConfigForTests();
    expect(getConfig().partnerApi.apiVersion).toBe('2100-01-01');
  });
});
