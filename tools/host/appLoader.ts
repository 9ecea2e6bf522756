/**
 * Loads the app as the Node worker does (azure-functions-nodejs-worker `src/startApp.ts`): package.json `main` is
 * a glob pattern (globby, relative to the app directory); every matching file is loaded in order, `require` for
 * CommonJS and `import()` for ES modules. An entry point that fails to load stops the app (Node 20+ behaviour), and
 * a pattern matching no file is an error ("Found zero files matching the supplied pattern").
 */
import { readdirSync, readFileSync } from 'node:fs';
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

/** `a/{b,c}/*.js` → `['a/b/*.js', 'a/c/*.js']` (nested braces supported). */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  let close = -1;
  const commas: number[] = [];
  for (let i = open; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) {
        close = i;
        break;
      }
    } else if (ch === ',' && depth === 1) commas.push(i);
  }
  if (close < 0) return [pattern];
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const bounds = [open, ...commas, close];
  const out: string[] = [];
  for (let i = 0; i < bounds.length - 1; i++) {
    const alt = pattern.slice(bounds[i]! + 1, bounds[i + 1]);
    for (const expanded of expandBraces(head + alt + tail)) out.push(expanded);
  }
  return out;
}

/** A glob (no braces) → RegExp over forward-slash relative paths: `**`, `*`, `?`. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:[^/]+/)*';
      } else re += '.*';
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function walk(dir: string, rel: string, out: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) walk(path.join(dir, e.name), r, out);
    else out.push(r);
  }
}

/** Files under `appDir` matching `pattern`, in pattern-alternative order, each once. Globby skips node_modules only when asked; apps never point `main` into it. */
export function matchEntryPoints(appDir: string, pattern: string): string[] {
  const alternatives = expandBraces(pattern.replace(/^\.\//, ''));
  const all: string[] = [];
  walk(appDir, '', all);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const alt of alternatives) {
    const re = globToRegExp(alt.replace(/^\.\//, ''));
    for (const file of all) {
      if (re.test(file) && !seen.has(file)) {
        seen.add(file);
        out.push(file);
      }
    }
  }
  return out;
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
