/**
 * Node's own CommonJS `Module` class. A test runner may hand out a subclass of it as the `module` builtin (Jest does,
 * with its own `createRequire`); patching or instantiating that subclass would not reach the modules Node loads. The
 * real class is found by walking up the constructor chain.
 */
import Module from 'node:module';

export function realModule(): typeof Module {
  let current: typeof Module = Module;
  for (;;) {
    const parent = Object.getPrototypeOf(current) as unknown;
    if (
      typeof parent === 'function' &&
      parent !== Function.prototype &&
      typeof (parent as { prototype?: { require?: unknown } }).prototype?.require === 'function'
    ) {
      current = parent as typeof Module;
    } else {
      return current;
    }
  }
}

/**
 * The environment the app sees: Node's real `process.env`, loaded through Node's own loader (a test runner may give
 * its tests a copy of `process`).
 */
export function realProcessEnv(): NodeJS.ProcessEnv {
  const NodeModule = realModule();
  const loader = new NodeModule(__filename);
  return (loader.require('node:process') as NodeJS.Process).env;
}
