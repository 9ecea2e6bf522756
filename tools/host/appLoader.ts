/**
 * Loads the app as the Node worker does (azure-functions-nodejs-worker `src/startApp.ts`): package.json `main` is
 * a glob pattern (globby, relative to the app directory; here Node's `fs.globSync`); every matching file is loaded in order, `require` for
 * CommonJS and `import()` for ES modules. An entry point that fails to load stops the app (Node 20+ behaviour), and
 * a pattern matching no file is an error ("Found zero files matching the supplied pattern").
 */
import { globSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { AppLoadError, HostConfigError } from './errors';
import { realModule } from './nodeModule';

export interface PackageJson {
  main?: string;
  type?: string;
}

export function readPackageJson(appDir: string): PackageJson {
  const file = path.join(appDir, 'package.json');
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch (err) {
    throw new HostConfigError(`Cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Files under `appDir` matching `pattern` (relative, forward slashes), as the worker's globby finds them: Node's
 * `fs.globSync` (minimatch syntax: braces, `**`, `*`, `?`), the files of a brace's alternatives in its order
 * (`dist/src/{index.js,functions/*.js}`: the entry point first), each once. Like globby's default, dot files are
 * left out; node_modules is skipped (apps never point `main` into it).
 */
export function matchEntryPoints(appDir: string, pattern: string): string[] {
  const files = globSync(pattern.replace(/^\.\//, ''), {
    cwd: appDir,
    withFileTypes: true,
    exclude: (entry) => entry.name === 'node_modules',
  });
  return files
    .filter(
      (entry) =>
        entry.isFile() &&
        !path
          .relative(appDir, path.join(entry.parentPath, entry.name))
          .split(path.sep)
          .some((part) => part.startsWith('.')),
    )
    .map((entry) => path.relative(appDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

/** Packages with process-wide state tied to one worker (`@azure/functions` locks `app.setup()`, caches the core). */
const WORKER_SCOPED_PACKAGES = ['@azure/functions', '@azure/functions-extensions-base', 'durable-functions'];

/**
 * Forgets what an earlier host in this process loaded, so that a host started again in one process loads the app
 * as a fresh worker would: the app's own files (outside node_modules) and the Functions packages. Other packages
 * stay cached (a test runner's own modules live in the same cache).
 */
function forgetLoadedModules(appDir: string): void {
  const root = path.resolve(appDir) + path.sep;
  const hostDir = path.resolve(__dirname) + path.sep;
  const nm = `${path.sep}node_modules${path.sep}`;
  const packages = WORKER_SCOPED_PACKAGES.map((p) => `${nm}${p.split('/').join(path.sep)}${path.sep}`);
  const cache = (realModule() as unknown as { _cache: Record<string, unknown> })._cache;
  for (const key of Object.keys(cache)) {
    if (key.startsWith(hostDir)) continue;
    const appFile = key.startsWith(root) && !key.includes(nm);
    if (appFile || packages.some((p) => key.includes(p))) delete cache[key];
  }
}

function isEsm(file: string, pkg: PackageJson): boolean {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  return pkg.type === 'module';
}

interface NodeModuleInternals {
  _nodeModulePaths(dir: string): string[];
}

/**
 * A `require` bound to `appDir` that goes through Node's own `Module.prototype.require`. (`Module.createRequire`
 * would do the same in plain Node, but a test runner may replace it with its own module registry.)
 */
function nodeRequire(appDir: string): (id: string) => unknown {
  const NodeModule = realModule();
  const parent = new NodeModule(path.join(appDir, 'package.json'));
  parent.filename = path.join(appDir, 'package.json');
  parent.paths = (NodeModule as unknown as NodeModuleInternals)._nodeModulePaths(appDir);
  return (id: string): unknown => parent.require(id) as unknown;
}

export interface LoadedApp {
  files: string[];
}

/**
 * Loads the entry points with Node's own loader (`Module.createRequire`), so that the app, `@azure/functions` and
 * the core module meet in Node's module cache even when the host itself runs inside a test runner.
 */
export async function loadApp(appDir: string, onFile?: (file: string) => void): Promise<LoadedApp> {
  const pkg = readPackageJson(appDir);
  const pattern = pkg.main;
  if (!pattern) throw new HostConfigError(`${path.join(appDir, 'package.json')} has no "main" entry point pattern.`);
  const files = matchEntryPoints(appDir, pattern);
  if (files.length === 0) {
    throw new AppLoadError(
      `Found zero files matching the supplied pattern "${pattern}" in ${appDir}. Did you build the app (npm run build)?`,
      undefined,
    );
  }
  forgetLoadedModules(appDir);
  const nativeRequire = nodeRequire(appDir);
  for (const file of files) {
    const full = path.join(appDir, file);
    onFile?.(file);
    try {
      if (isEsm(file, pkg))
        await import(pathToFileURL(full).href); // module Node16 keeps a real import() in CommonJS output
      else nativeRequire(full);
    } catch (err) {
      throw new AppLoadError(
        `Worker was unable to load entry point "${file}": ${(err as Error)?.message ?? String(err)}`,
        err,
      );
    }
  }
  return { files };
}
