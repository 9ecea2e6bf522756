import {
  DIMENSIONS,
  DURATION_METRIC,
  EVENTGRID_GAVE_UP_EVENT,
  EVENTGRID_PUBLISH_FAILED_EVENT,
  PARTNER_API_ERROR_EVENT,
  POLL_COUNT_METRIC,
  REQUEST_REJECTED_EVENT,
  STATE_CHANGED_EVENT,
} from '../../../src/events/names';
import { RUN_STATES } from '../../../src/golive/run/record';
import { evaluate, isPlainObject, objectAt, property, text, type Value } from './bicep';
import {
  bicep,
  codeBlocks,
  codeNames,
  kqlReferences,
  kqlStateLiterals,
  markdownTables,
  memberPath,
  readJson,
  readText,
  telemetryVocabulary,
} from './files';

/** The deploy and operate pages. */
function deployDocs(): string {
  return `${readText('docs/deploy.md')}\n${readText('docs/operate.md')}`;
}

const vocabulary = telemetryVocabulary();
const alerts = bicep('infra/app/alerts.bicep');
const main = bicep('infra/main.bicep');

interface WorkbookItem {
  type: number;
  name: string;
  content: { query?: string; title?: string; version?: string };
}
const workbook = readJson('infra/app/workbook.json') as {
  version: string;
  items: WorkbookItem[];
  fallbackResourceIds: string[];
};
const workbookQueries = workbook.items
  .filter((i) => i.type === 3)
  .map((i) => ({ name: i.name, query: i.content.query! }));

interface AlertRule {
  name: string;
  query: string;
  dimensions: { name: string }[];
}

function alertRules(overrides: Record<string, Value> = {}): AlertRule[] {
  const rules = evaluate(
    alerts.variable('rules').value,
    alerts.scope({ poisonQueueName: 'golive-requests-poison', ...overrides }),
  );
  if (!Array.isArray(rules)) throw new Error('alert rules are not known before deployment');
  return rules.map((r) => {
    if (!isPlainObject(r) || !Array.isArray(r['dimensions']))
      throw new Error('an alert rule is not known before deployment');
    const dimensions = r['dimensions'].map((d) => ({ name: text(isPlainObject(d) ? d['name'] : undefined) }));
    return { name: text(r['name']), query: text(r['query']), dimensions };
  });
}

const docsQueries = codeBlocks(deployDocs(), 'kusto');

/** Every KQL text the project ships: alert queries, workbook queries, docs queries. */
function allQueries(): { source: string; query: string }[] {
  return [
    ...alertRules().map((r) => ({ source: `alert ${r.name}`, query: r.query })),
    ...workbookQueries.map((q) => ({ source: `workbook ${q.name}`, query: q.query })),
    ...docsQueries.map((q, k) => ({ source: `docs query ${k + 1}`, query: q })),
  ];
}

describe('telemetry vocabulary', () => {
  it('is what src/events/names.ts exports, as the app really sends it', () => {
    expect([...vocabulary.events.keys()].sort()).toEqual(
      [
        PARTNER_API_ERROR_EVENT,
        REQUEST_REJECTED_EVENT,
        STATE_CHANGED_EVENT,
        EVENTGRID_PUBLISH_FAILED_EVENT,
        EVENTGRID_GAVE_UP_EVENT,
      ].sort(),
    );
    expect([...vocabulary.metrics.keys()].sort()).toEqual([DURATION_METRIC, POLL_COUNT_METRIC].sort());
    for (const d of DIMENSIONS) expect(vocabulary.properties).toContain(d);
  });
});

describe('KQL (alerts, workbook, docs)', () => {
  const queries = allQueries();

  it('there are queries from each place', () => {
    expect(queries.filter((q) => q.source.startsWith('alert')).length).toBe(5);
    expect(queries.filter((q) => q.source.startsWith('workbook')).length).toBeGreaterThanOrEqual(6);
    expect(queries.filter((q) => q.source.startsWith('docs')).length).toBeGreaterThanOrEqual(5);
  });

  it('uses only event and metric names the app sends, each in its own table', () => {
    for (const { source, query } of queries) {
      const refs = kqlReferences(query);
      for (const name of refs.names) {
        const known = vocabulary.events.has(name) || vocabulary.metrics.has(name);
        expect([source, name, known]).toEqual([source, name, true]);
        if (vocabulary.metrics.has(name))
          expect([source, name, refs.tables]).toEqual([source, name, expect.arrayContaining(['customMetrics'])]);
        if (vocabulary.events.has(name))
          expect([source, name, refs.tables]).toEqual([source, name, expect.arrayContaining(['customEvents'])]);
      }
      if (refs.tables.some((t) => t === 'customEvents' || t === 'customMetrics')) {
        expect([source, refs.names.length > 0]).toEqual([source, true]);
      }
    }
  });

  it("reads only custom dimensions the app sends (and the host's prop__ keys on traces)", () => {
    for (const { source, query } of queries) {
      const refs = kqlReferences(query);
      for (const key of refs.dimensions) {
        const known = vocabulary.properties.has(key) || (key.startsWith('prop__') && refs.tables.includes('traces'));
        expect([source, key, known]).toEqual([source, key, true]);
      }
    }
  });

  it('compares state and outcome only with the run states', () => {
    const states = new Set<string>([...RUN_STATES, 'rejected']);
    for (const { source, query } of queries) {
      for (const value of kqlStateLiterals(query))
        expect([source, value, states.has(value)]).toEqual([source, value, true]);
    }
  });

  it('the KQL checks catch a wrong name and a wrong dimension', () => {
    const wrong = kqlReferences(
      "customEvents | where name == 'GoLiveStateChange' | extend x = customDimensions.offerID",
    );
    expect(vocabulary.events.has(wrong.names[0]!)).toBe(false);
    expect(vocabulary.properties.has(wrong.dimensions[0]!)).toBe(false);
    expect(kqlReferences("customEvents | where name in ('A', \"B\") | extend y = customDimensions['runId']")).toEqual({
      names: ['A', 'B'],
      dimensions: ['runId'],
      tables: ['customEvents'],
    });
  });
});

describe('alerts', () => {
  const rules = alertRules();
  const byName = new Map(rules.map((r) => [r.name, r]));

  it('covers failed or timed-out runs, rejected or poisoned requests, runs over the SLA, partner API 429/5xx and Event Grid give-ups', () => {
    expect([...byName.keys()]).toEqual([
      'run-failed',
      'request-dead-letter',
      'run-over-sla',
      'partner-api-errors',
      'eventgrid-gave-up',
    ]);
    expect(kqlReferences(byName.get('eventgrid-gave-up')!.query).names).toEqual([EVENTGRID_GAVE_UP_EVENT]);
    const failed = byName.get('run-failed')!.query;
    expect(kqlStateLiterals(failed).sort()).toEqual(['failed', 'timedOut']);
    const deadLetter = byName.get('request-dead-letter')!.query;
    expect(kqlReferences(deadLetter).names).toEqual([REQUEST_REJECTED_EVENT]);
    expect(deadLetter).toContain("'golive-requests-poison'");
    expect(deadLetter).toContain('MaxDequeueCount');
    const partner = byName.get('partner-api-errors')!.query;
    expect(partner).toMatch(/statusCode == 429 or statusCode >= 500/);
    for (const r of rules) expect([r.name, r.query.includes('__')]).toEqual([r.name, false]);
  });

  it('the SLA alert reads back far enough for the SLA it checks', () => {
    const sla = (hours: number) => alertRules({ runSlaHours: hours }).find((r) => r.name === 'run-over-sla')!.query;
    expect(sla(30)).toContain('ago(30h)');
    const resource = alerts.resources().find((r) => r.type.startsWith('Microsoft.Insights/scheduledQueryRules@'))!;
    const override = property(property(resource.value, 'properties')!, 'overrideQueryTimeRange')!;
    expect(evaluate(override, { ...alerts.scope(), rule: { name: 'run-over-sla' } })).toBe('P2D');
    expect(evaluate(override, { ...alerts.scope(), rule: { name: 'run-failed' } })).toBeNull();
    // The rule runs hourly: a run crossing the SLA is seen while its start is still within the two days read.
    const max = (file: typeof alerts, name: string) =>
      evaluate(file.param(name).decorators.find((d) => d.name === 'maxValue')!.args[0]!, {});
    expect(max(alerts, 'runSlaHours')).toBe(46);
    expect(max(main, 'runSlaHours')).toBe(46);
  });

  it('splits by a column each query returns, and notifies the action group given', () => {
    for (const r of rules) {
      const dims = r.dimensions;
      for (const d of dims) expect([r.name, r.query.includes(d.name)]).toEqual([r.name, true]);
    }
    const actionGroups = (overrides: Record<string, Value>) => alerts.scope(overrides)['actionGroups'];
    expect(actionGroups({ actionGroupId: '/ag/1' })).toEqual(['/ag/1']);
    expect(actionGroups({})).toEqual([]);
    const params = objectAt(main.module('alerts').value, 'params')!;
    expect(memberPath(property(params, 'applicationInsightsId'))).toBe('monitoring.outputs.applicationInsightsId');
    expect(memberPath(property(params, 'poisonQueueName'))).toBe('poisonQueueName');
  });
});

describe('workbook', () => {
  it('is a workbook document that the Bicep loads and binds to Application Insights', () => {
    expect(workbook.version).toBe('Notebook/1.0');
    expect(workbook.fallbackResourceIds).toEqual(['__APPLICATION_INSIGHTS_ID__']);
    const file = bicep('infra/app/workbook.bicep');
    const resource = file.resources().find((r) => r.type.startsWith('Microsoft.Insights/workbooks@'))!;
    const id = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Insights/components/appi';
    const serializedData = objectAt(resource.value, 'properties')!.properties.find((p) => p.key === 'serializedData')!;
    const serialized = evaluate(serializedData.value, file.scope({ applicationInsightsId: id }));
    expect(typeof serialized).toBe('string');
    expect((JSON.parse(serialized as string) as { fallbackResourceIds: string[] }).fallbackResourceIds).toEqual([id]);
    expect(file.source).toContain("loadTextContent('workbook.json')");
    expect(file.source).toContain("'__APPLICATION_INSIGHTS_ID__', applicationInsightsId");
  });

  it('shows runs by state, the duration distribution, in-flight runs and partner API errors', () => {
    const find = (name: string) => workbookQueries.find((q) => q.name === name)?.query ?? '';
    expect(kqlReferences(find('runs-by-state')).names).toEqual([STATE_CHANGED_EVENT]);
    expect(kqlReferences(find('duration-distribution')).names).toEqual([DURATION_METRIC]);
    expect(kqlReferences(find('in-flight')).names).toEqual(
      expect.arrayContaining([STATE_CHANGED_EVENT, PARTNER_API_ERROR_EVENT]),
    );
    expect(find('in-flight')).toContain('{StuckHours}');
    expect(kqlReferences(find('partner-api-errors-over-time')).names).toEqual([PARTNER_API_ERROR_EVENT]);
    expect(kqlReferences(find('duration-percentiles')).names).toEqual([DURATION_METRIC, POLL_COUNT_METRIC]);
    const parameters = workbook.items.find((i) => i.type === 9) as unknown as {
      content: { parameters: { name: string }[] };
    };
    const names = parameters.content.parameters.map((p) => p.name);
    for (const q of workbookQueries) {
      for (const m of q.query.matchAll(/\{([A-Za-z]+)(?::[a-z]+)?\}/g))
        expect([q.name, names.includes(m[1]!)]).toEqual([q.name, true]);
    }
  });
});

describe('host.json telemetry', () => {
  const host = readJson('host.json') as {
    logging: {
      logLevel: Record<string, string>;
      applicationInsights: { samplingSettings: { isEnabled: boolean; excludedTypes: string } };
    };
    extensions: { durableTask: { tracing: Record<string, unknown> } };
  };

  it('samples, but never the events, requests or exceptions operators count', () => {
    const { samplingSettings } = host.logging.applicationInsights;
    const excluded = samplingSettings.excludedTypes.split(';');
    const valid = ['Dependency', 'Event', 'Exception', 'PageView', 'Request', 'Trace'];
    expect(excluded.filter((t) => !valid.includes(t))).toEqual([]);
    expect(excluded).toEqual(expect.arrayContaining(['Event', 'Request', 'Exception']));
  });

  it('traces Durable Functions without inputs, outputs or replays, and keeps Durable logs readable', () => {
    expect(host.extensions.durableTask.tracing).toMatchObject({
      traceInputsAndOutputs: false,
      traceReplayEvents: false,
    });
    expect(host.logging.logLevel['Host.Triggers.DurableTask']).toBe('Information');
    for (const category of ['DurableTask.AzureStorage', 'DurableTask.Core', 'DurableTask.AzureManagedBackend']) {
      expect([category, host.logging.logLevel[category]]).toEqual([category, 'Warning']);
    }
  });

  it('Application Insights accepts only Entra ID telemetry by default', () => {
    expect(evaluate(main.param('appInsightsDisableLocalAuth').defaultValue!, {})).toBe(true);
    const params = objectAt(main.module('monitoring').value, 'params')!;
    expect(memberPath(property(params, 'disableLocalAuth'))).toBe('appInsightsDisableLocalAuth');
  });
});

describe('deploy and operate docs', () => {
  const section = deployDocs();

  it('says how to deploy, set parameters, grant the partner API access and rotate credentials', () => {
    for (const text of [
      'azd auth login',
      'azd up',
      'azd env set',
      'Object ID',
      'az ad sp show',
      'az keyvault secret set',
      'Rotating credentials',
      'az ad app federated-credential create',
    ]) {
      expect([text, section.includes(text)]).toEqual([text, true]);
    }
  });

  it('documents every environment value main.parameters.json reads, with its default', () => {
    const parameters = (readJson('infra/main.parameters.json') as { parameters: Record<string, { value: string }> })
      .parameters;
    const env = new Map<string, string>();
    for (const { value } of Object.values(parameters)) {
      const m = /^\$\{([A-Z0-9_]+)(?:=(.*))?\}$/.exec(value)!;
      env.set(m[1]!, m[2] ?? '');
    }
    const table = markdownTables(section).find((t) => t.header[0] === 'Value')!;
    const documented = table.rows.flatMap((row) =>
      codeNames(row[0] ?? '').map((name) => ({ name, defaults: row[1] ?? '' })),
    );
    const automatic = ['AZURE_ENV_NAME', 'AZURE_PRINCIPAL_ID'];
    for (const name of env.keys()) {
      if (automatic.includes(name)) continue;
      expect([name, documented.some((d) => d.name === name)]).toEqual([name, true]);
    }
    for (const { name, defaults } of documented) {
      expect([name, env.has(name)]).toEqual([name, true]);
      const fallback = env.get(name)!;
      if (fallback !== '') expect([name, defaults.includes(`\`${fallback}\``)]).toEqual([name, true]);
    }
  });
});
