/**
 * Function registrations and hooks of the loaded app: what `@azure/functions` hands to `registerFunction` and
 * `registerHook`, kept as `RegisteredFunction`s (extension.ts) with their callbacks.
 */
import {
  type CoreFunctionMetadata,
  type CoreLogCategory,
  type CoreLogLevel,
  type CoreTarget,
  Disposable,
  type FunctionCallback,
  HOOK_NAMES,
  type HookCallback,
  type HookName,
} from './core';
import { DuplicateFunctionError, HostConfigError, RegistrationLockedError } from './errors';
import type { BindingMetadata, RegisteredFunction } from './extension';

/** A registered function with what the host needs to invoke it. */
export interface HostFunction extends RegisteredFunction {
  /** The metadata exactly as registered (becomes `CoreInvocationContext.metadata`). */
  metadata: CoreFunctionMetadata;
  callback: FunctionCallback;
}

/** A binding counts as a trigger when its type ends in "trigger" (library `src/utils/isTrigger.ts`). */
export function isTriggerType(type: string): boolean {
  return /trigger$/i.test(type);
}

function toBinding(key: string, raw: Record<string, unknown>): BindingMetadata {
  const type = raw.type;
  const direction = raw.direction;
  if (typeof type !== 'string') throw new HostConfigError(`Binding "${key}" has no type.`);
  const dir = direction === 'out' || direction === 'inout' ? direction : 'in';
  return { ...raw, name: key, type, direction: dir };
}

export function toRegisteredFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): HostFunction {
  const name = metadata.name;
  if (typeof name !== 'string' || !name) throw new HostConfigError('A function was registered without a name.');
  const bindings: Record<string, BindingMetadata> = {};
  for (const [key, raw] of Object.entries(metadata.bindings ?? {})) bindings[key] = toBinding(key, raw);
  const triggers = Object.values(bindings).filter((b) => isTriggerType(b.type));
  const trigger = triggers[0];
  if (!trigger || triggers.length > 1) {
    throw new HostConfigError(`Function "${name}" must have exactly one trigger binding (found ${triggers.length}).`);
  }
  return { name, trigger, bindings, metadata, callback };
}

export type RegistryLog = (level: CoreLogLevel, category: CoreLogCategory, message: string) => void;

export class FunctionRegistry implements CoreTarget {
  readonly #functions = new Map<string, HostFunction>();
  readonly #hooks: Record<HookName, HookCallback[]> = {
    appStart: [],
    appTerminate: [],
    preInvocation: [],
    postInvocation: [],
    log: [],
  };
  #locked = false;

  constructor(private readonly systemLog: RegistryLog) {}

  registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): Disposable {
    const id = metadata.functionId ?? metadata.name;
    // The worker keys functions by functionId (= name) and rejects duplicates and late registrations
    // (azure-functions-nodejs-worker `src/coreApi/registerFunction.ts`).
    if (this.#locked) throw new RegistrationLockedError(id);
    if (this.#functions.has(id)) throw new DuplicateFunctionError(id);
    const fn = toRegisteredFunction(metadata, callback);
    this.#functions.set(id, fn);
    return new Disposable(() => {
      if (this.#locked) throw new RegistrationLockedError(id);
      this.#functions.delete(id);
    });
  }

  registerHook(name: HookName, callback: HookCallback): Disposable {
    const list = this.#hooks[name];
    list.push(callback);
    return new Disposable(() => {
      const i = list.indexOf(callback);
      if (i >= 0) list.splice(i, 1);
    });
  }

  log(level: CoreLogLevel, category: CoreLogCategory, message: string): void {
    this.systemLog(level, category, message);
  }

  /** Ends the registration window (the worker does this once it has sent function metadata to the host). */
  lock(): void {
    this.#locked = true;
  }

  functions(): readonly HostFunction[] {
    return [...this.#functions.values()];
  }

  get(name: string): HostFunction | undefined {
    return this.#functions.get(name);
  }

  hooks(name: HookName): readonly HookCallback[] {
    return [...this.#hooks[name]];
  }

  hookCount(): Record<HookName, number> {
    const counts = {} as Record<HookName, number>;
    for (const n of HOOK_NAMES) counts[n] = this.#hooks[n].length;
    return counts;
  }
}

/** Runs hooks one after another, awaiting each (worker `src/hooks/executeHooks.ts`). */
export async function executeHooks(hooks: readonly HookCallback[], context: Record<string, unknown>): Promise<void> {
  for (const hook of hooks) await hook(context);
}
