/**
 * Durable Functions for the local host: drives `orchestrationTrigger` and `activityTrigger` functions,
 * supplies the `durableClient` input binding and serves the durable HTTP API, with state persisted in Azure
 * Storage (Azurite locally) in the Durable Task Azure Storage provider's layout.
 *
 * Durable entities (`entityTrigger`) are not implemented: an app that registers one is refused at start.
 */
import type { BindingMetadata, HostContext, HostExtension, RegisteredFunction, RpcTypedData } from '../extension';
import { realProcessEnv } from '../nodeModule';
import { localTaskHubName } from '../settings';
import { DurableEngine, type EngineSettings, parseTimeSpanMs } from './engine';
import { type ClientUrls, DurableHttpApi, WEBHOOK_PREFIX } from './http';
import { TaskHubStore } from './store';
import { DurableError } from './types';

export { DurableEngine } from './engine';
export { TaskHubStore } from './store';
export { DurableError, EventType, type HistoryEvent, type InstanceState, type RuntimeStatus } from './types';

export interface DurableExtensionOptions {
  /** The task hub name; default: `LOCAL_HOST_TASK_HUB`, else host.json's hub name + `local` (settings.ts). */
  hubName?: string;
  /** Overrides the engine settings read from host.json (tests use short timer limits). */
  settings?: Partial<EngineSettings>;
}

export interface DurableExtension extends HostExtension {
  /** The running engine (after `start`), for tests and the benchmark. */
  readonly engine: DurableEngine | undefined;
  readonly hubName: string | undefined;
}

export class DurableEntitiesNotSupportedError extends DurableError {
  constructor(names: string[]) {
    super(
      'DURABLE_ENTITIES_NOT_SUPPORTED',
      `Durable entities are not supported by the local host; remove or disable: ${names.join(', ')}.`,
    );
  }
}

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function int(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : fallback;
}

/** Reads `extensions.durableTask` of host.json (defaults: the Azure Storage provider's). */
export function settingsFromHostJson(hostJson: Record<string, unknown>, hubOverride?: string): EngineSettings {
  const dt = rec(rec(hostJson['extensions'])['durableTask']);
  const sp = rec(dt['storageProvider']);
  const hubName = hubOverride ?? (typeof dt['hubName'] === 'string' && dt['hubName'] ? dt['hubName'] : 'TestHubName');
  if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(hubName)) {
    throw new DurableError(
      'DURABLE_BAD_HUB_NAME',
      `Task hub name '${hubName}' must be 3-45 letters or digits, starting with a letter.`,
    );
  }
  const overridable = dt['overridableExistingInstanceStates'];
  return {
    hubName,
    maxConcurrentActivities: int(dt['maxConcurrentActivityFunctions'], 10),
    maxConcurrentOrchestrations: int(dt['maxConcurrentOrchestratorFunctions'], 10),
    maxPollingIntervalMs: parseTimeSpanMs(sp['maxQueuePollingInterval'], 30_000),
    controlVisibilitySeconds: Math.max(
      1,
      Math.round(parseTimeSpanMs(sp['controlQueueVisibilityTimeout'], 300_000) / 1000),
    ),
    workItemVisibilitySeconds: Math.max(
      1,
      Math.round(parseTimeSpanMs(sp['workItemQueueVisibilityTimeout'], 300_000) / 1000),
    ),
    maximumShortTimerMs: parseTimeSpanMs(dt['maximumTimerInterval'], 6 * 86_400_000),
    longRunningTimerIntervalMs: parseTimeSpanMs(dt['longRunningTimerInterval'], 3 * 86_400_000),
    overridableStates: overridable === 'AnyState' ? 'AnyState' : 'NonRunningStates',
  };
}

export function createDurableExtension(options: DurableExtensionOptions = {}): DurableExtension {
  let ctx: HostContext | undefined;
  let engine: DurableEngine | undefined;
  let settings: EngineSettings | undefined;

  const urls = (): ClientUrls => {
    if (!ctx || !settings) throw new DurableError('DURABLE_NOT_STARTED', 'The Durable extension has not started.');
    return {
      base: `${ctx.baseUrl.replace(/\/$/, '')}/runtime/webhooks/durabletask`,
      query: `taskHub=${encodeURIComponent(settings.hubName)}&connection=Storage`,
    };
  };

  const clientData = (): Record<string, unknown> => {
    const u = urls();
    const i = `${u.base}/instances/INSTANCEID`;
    return {
      taskHubName: settings?.hubName,
      creationUrls: {
        createNewInstancePostUri: `${u.base}/orchestrators/{functionName}[/{instanceId}]?${u.query}`,
        createAndWaitOnNewInstancePostUri: `${u.base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${u.query}`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: `${i}?${u.query}`,
        sendEventPostUri: `${i}/raiseEvent/{eventName}?${u.query}`,
        terminatePostUri: `${i}/terminate?reason={text}&${u.query}`,
        rewindPostUri: `${i}/rewind?reason={text}&${u.query}`,
        purgeHistoryDeleteUri: `${i}?${u.query}`,
        restartPostUri: `${i}/restart?${u.query}`,
        suspendPostUri: `${i}/suspend?reason={text}&${u.query}`,
        resumePostUri: `${i}/resume?reason={text}&${u.query}`,
      },
      baseUrl: u.base,
      requiredQueryStringParameters: '',
      rpcBaseUrl: `${u.base}/`,
    };
  };

  return {
    name: 'durable',
    triggerTypes: ['orchestrationTrigger', 'activityTrigger', 'entityTrigger'],
    inputTypes: ['durableClient', 'orchestrationClient'],
    get engine() {
      return engine;
    },
    get hubName() {
      return settings?.hubName;
    },
    provideInput(_binding: BindingMetadata, _fn: RegisteredFunction): Promise<RpcTypedData> {
      try {
        return Promise.resolve({ string: JSON.stringify(clientData()) });
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    async start(c: HostContext): Promise<void> {
      const entities = c
        .functions()
        .filter((f) => f.trigger.type === 'entityTrigger')
        .map((f) => f.name);
      if (entities.length > 0) throw new DurableEntitiesNotSupportedError(entities);
      ctx = c;
      // Never the real host's hub by default (localTaskHubName): the two never share tables, queues or leases.
      const hubName = options.hubName ?? localTaskHubName(settingsFromHostJson(c.hostJson).hubName, realProcessEnv());
      settings = { ...settingsFromHostJson(c.hostJson, hubName), ...options.settings };
      // The JS client rewrites management URL origins to http://localhost:7071 unless WEBSITE_HOSTNAME is set
      // (durable-functions getClient.js); name this host instead. rpcBaseUrl is never rewritten.
      // The app sees Node's real process.env (a test runner may hand this module a copy).
      for (const env of new Set([realProcessEnv(), process.env])) {
        const current = env['WEBSITE_HOSTNAME'];
        if (!current || current.includes('0.0.0.0')) env['WEBSITE_HOSTNAME'] = new URL(c.baseUrl).host;
      }
      const sp = rec(rec(rec(c.hostJson['extensions'])['durableTask'])['storageProvider']);
      const store = new TaskHubStore(c.storageConnectionString, settings.hubName, int(sp['partitionCount'], 4));
      engine = new DurableEngine(c, store, settings);
      const api = new DurableHttpApi(engine, urls);
      c.addHttpHandler(WEBHOOK_PREFIX, api.handle);
      await engine.start();
    },
    async stop(): Promise<void> {
      await engine?.stop();
    },
  };
}
