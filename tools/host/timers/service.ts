/** Timer triggers (placeholder until the scheduler lands). */
import type { InvokeResult, RpcTypedData } from '../extension';
import type { HostInvokeOptions } from '../invoke';
import type { Logger } from '../logger';
import type { HostFunction } from '../registry';
import type { Env } from '../settings';

export interface TimerServiceOptions {
  logger: Logger;
  env: Env;
  connection(): string;
  invoke(fn: HostFunction, data: RpcTypedData, options: HostInvokeOptions): Promise<InvokeResult>;
}

export class TimerService {
  readonly #fns: HostFunction[] = [];
  constructor(private readonly opts: TimerServiceOptions) {}
  addFunction(fn: HostFunction): void {
    this.#fns.push(fn);
  }
  scheduleOf(fn: HostFunction): string | undefined {
    return typeof fn.trigger.schedule === 'string' ? fn.trigger.schedule : undefined;
  }
  async start(): Promise<void> {
    void this.opts;
  }
  async stop(): Promise<void> {}
}
