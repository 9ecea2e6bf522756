/** Storage queue triggers and queue output bindings (placeholder until the listener lands). */
import type { BindingMetadata, InvokeResult, RegisteredFunction, RpcTypedData } from '../extension';
import type { QueuesOptions } from '../hostJson';
import type { HostInvokeOptions } from '../invoke';
import type { Logger } from '../logger';
import type { HostFunction } from '../registry';
import type { Env } from '../settings';

export interface QueueServiceOptions {
  logger: Logger;
  options: QueuesOptions;
  env: Env;
  connection(name: string | undefined): string;
  invoke(fn: HostFunction, data: RpcTypedData, options: HostInvokeOptions): Promise<InvokeResult>;
}

export class QueueService {
  readonly #fns: HostFunction[] = [];
  constructor(private readonly opts: QueueServiceOptions) {}
  addFunction(fn: HostFunction): void {
    this.#fns.push(fn);
  }
  queueNameOf(fn: HostFunction): string | undefined {
    return typeof fn.trigger.queueName === 'string' ? fn.trigger.queueName : undefined;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async write(_binding: BindingMetadata, _data: RpcTypedData, _fn: RegisteredFunction): Promise<void> {
    void this.opts;
  }
}
