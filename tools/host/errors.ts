/** Errors the local host raises, each with a stable `code`. */

export class HostError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A function name registered twice (the worker's `registerFunction` throws the same way). */
export class DuplicateFunctionError extends HostError {
  constructor(name: string) {
    super('DUPLICATE_FUNCTION', `A function with the name "${name}" has already been registered.`);
  }
}

/** A registration after app start-up finished (the worker locks indexing once metadata is sent). */
export class RegistrationLockedError extends HostError {
  constructor(name: string) {
    super(
      'REGISTRATION_LOCKED',
      `Function "${name}" was registered after app start-up; register functions at load time.`,
    );
  }
}

/** Bad host or app configuration (host.json, local.settings.json, package.json `main`, a binding option). */
export class HostConfigError extends HostError {
  constructor(message: string) {
    super('HOST_CONFIG', message);
  }
}

/** The app's entry point failed to load. */
export class AppLoadError extends HostError {
  constructor(message: string, cause: unknown) {
    super('APP_LOAD', message);
    this.cause = cause;
  }
}

/** A port the host (or Azurite) needs is taken. */
export class PortInUseError extends HostError {
  constructor(
    readonly port: number,
    hint: string,
  ) {
    super('PORT_IN_USE', `Port ${port} is already in use. ${hint}`);
  }
}

/** An invocation ran past host.json `functionTimeout`. */
export class FunctionTimeoutError extends HostError {
  constructor(functionName: string, invocationId: string, timeoutMs: number) {
    super(
      'FUNCTION_TIMEOUT',
      `Timeout value of ${formatDuration(timeoutMs)} exceeded by function '${functionName}' (Id: '${invocationId}'). ` +
        'Initiating cancellation.',
    );
  }
}

/** Azurite could not be started. */
export class AzuriteStartError extends HostError {
  constructor(message: string) {
    super('AZURITE_START', message);
  }
}

function formatDuration(ms: number): string {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const frac = ms % 1000 ? `.${String(ms % 1000).padStart(3, '0')}` : '';
  return `${pad(h)}:${pad(m)}:${pad(s)}${frac}`;
}
