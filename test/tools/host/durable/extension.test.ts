/** The extension's contract with the host: refused entity functions, client binding JSON, host.json settings. */
import {
  createDurableExtension,
  DurableEntitiesNotSupportedError,
  settingsFromHostJson,
} from '../../../../tools/host/durable';
import type { HostContext, RegisteredFunction } from '../../../../tools/host/extension';

function fn(name: string, type: string): RegisteredFunction {
  const trigger = { name: `${type}1`, type, direction: 'in' as const };
  return { name, trigger, bindings: { [trigger.name]: trigger } };
}

function context(functions: RegisteredFunction[]): HostContext {
  return {
    functions: () => functions,
    invoke: () => Promise.reject(new Error('not used')),
    storageConnectionString: 'UseDevelopmentStorage=true',
    hostJson: { extensions: { durableTask: { hubName: 'unitHub' } } },
    baseUrl: 'http://localhost:7999',
    logger: { log: () => undefined },
    addHttpHandler: () => undefined,
  };
}

test('an app with entity functions is refused at start with a clear message', async () => {
  const ext = createDurableExtension();
  const start = ext.start(context([fn('Counter', 'entityTrigger'), fn('Orch', 'orchestrationTrigger')]));
  await expect(start).rejects.toBeInstanceOf(DurableEntitiesNotSupportedError);
  await expect(start).rejects.toThrow(
    'Durable entities are not supported by the local host; remove or disable: Counter.',
  );
});

test('the client binding cannot be read before the extension started', async () => {
  const ext = createDurableExtension();
  await expect(
    ext.provideInput({ name: 'c', type: 'durableClient', direction: 'in' }, fn('x', 'httpTrigger')),
  ).rejects.toThrow('has not started');
});

test('host.json durableTask settings: hub name, limits, visibility timeouts, singleton policy', () => {
  const s = settingsFromHostJson({
    extensions: {
      durableTask: {
        hubName: 'golive',
        overridableExistingInstanceStates: 'AnyState',
        maxConcurrentActivityFunctions: 3,
        storageProvider: { maxQueuePollingInterval: '00:00:10', controlQueueVisibilityTimeout: '00:01:00' },
      },
    },
  });
  expect(s).toMatchObject({
    hubName: 'golive',
    overridableStates: 'AnyState',
    maxConcurrentActivities: 3,
    maxConcurrentOrchestrations: 10,
    maxPollingIntervalMs: 10_000,
    controlVisibilitySeconds: 60,
    workItemVisibilitySeconds: 300,
    maximumShortTimerMs: 6 * 86_400_000,
    longRunningTimerIntervalMs: 3 * 86_400_000,
  });
  expect(settingsFromHostJson({}).overridableStates).toBe('NonRunningStates');
  expect(() => settingsFromHostJson({ extensions: { durableTask: { hubName: 'bad-name' } } })).toThrow(/Task hub name/);
});
