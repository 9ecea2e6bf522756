import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { decorator, evaluate, objectAt, property, text } from './bicep';
import {
  allBicepFiles,
  exists,
  funcignorePatterns,
  isIgnored,
  memberPath,
  parseYamlMapping,
  readJson,
  readText,
  ROOT,
  type Yaml,
} from './files';

const files = allBicepFiles();
const main = files.get('infra/main.bicep')!;

function get(node: Yaml | undefined, ...path: string[]): Yaml | undefined {
  let current = node;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = current[key];
  }
  return current;
}

describe('azure.yaml', () => {
  const yaml = parseYamlMapping(readText('azure.yaml'));

  it('names the api service as a TypeScript Function App built remotely', () => {
    const services = get(yaml, 'services');
    expect(Object.keys(services as object)).toEqual(['api']);
    expect(get(yaml, 'services', 'api')).toEqual({ project: '.', language: 'ts', host: 'function', remoteBuild: true });
    expect(exists(join(text(get(yaml, 'services', 'api', 'project')), 'package.json'))).toBe(true);
  });

  it('points at infra/main.bicep', () => {
    expect(get(yaml, 'infra')).toEqual({ provider: 'bicep', path: 'infra', module: 'main' });
    expect(exists('infra/main.bicep')).toBe(true);
  });

  it('its service name is the azd-service-name tag of the Function App', () => {
    const api = files.get('infra/app/api.bicep')!;
    const site = api.modules().find((m) => m.path.startsWith('br/public:avm/res/web/site:'))!;
    const tags = evaluate(
      property(objectAt(site.value, 'params')!, 'tags')!,
      api.scope({ tags: { 'azd-env-name': 'e' } }),
    );
    expect(tags).toEqual({ 'azd-env-name': 'e', 'azd-service-name': 'api' });
    // main.bicep keeps the default service name.
    expect(property(objectAt(main.module('api').value, 'params')!, 'serviceName')).toBeUndefined();
    expect(Object.keys(get(yaml, 'services') as object)).toEqual([api.scope()['serviceName']]);
  });
});

describe('Bicep modules', () => {
  it('main.bicep deploys at subscription scope and creates the resource group', () => {
    expect(main.targetScope).toBe('subscription');
    expect(main.resources().map((r) => r.type.split('@')[0])).toContain('Microsoft.Resources/resourceGroups');
    for (const m of main.modules()) expect([m.name, memberPath(property(m.value, 'scope'))]).toEqual([m.name, 'rg']);
  });

  // Local module paths, the parameters each local module gets, the outputs read from it, and every symbol a file
  // uses are the Bicep compiler's checks now (npm run infra:check; test/unit/infra/infraCheck.test.ts).

  it('pins every registry module to an exact Azure Verified Modules version', () => {
    const registry = [...files.values()].flatMap((f) => f.modules()).filter((m) => m.path.startsWith('br'));
    expect(registry.length).toBeGreaterThanOrEqual(7);
    for (const m of registry)
      expect(m.path).toMatch(/^br\/public:avm\/res\/[a-z-]+\/[a-z-]+(\/[a-z-]+)?:\d+\.\d+\.\d+$/);
  });
});

describe('main.parameters.json', () => {
  const parameters = (readJson('infra/main.parameters.json') as { parameters: Record<string, { value: unknown }> })
    .parameters;

  it('sets only parameters main.bicep declares, and every one without a default', () => {
    const declared = main.params().map((p) => p.name);
    expect(Object.keys(parameters).filter((p) => !declared.includes(p))).toEqual([]);
    const required = main
      .params()
      .filter((p) => p.defaultValue === undefined)
      .map((p) => p.name);
    expect(required.filter((p) => !(p in parameters))).toEqual([]);
  });

  it('gives each environment variable the default main.bicep has', () => {
    for (const [name, { value }] of Object.entries(parameters)) {
      const m = /^\$\{([A-Z0-9_]+)(?:=(.*))?\}$/.exec(String(value));
      expect([name, m !== null]).toEqual([name, true]);
      const fallback = m![2];
      const param = main.param(name);
      if (param.defaultValue === undefined) continue;
      const bicepDefault = evaluate(param.defaultValue, main.scope());
      // A variable without a default is empty when unset: only right where the Bicep default is empty too.
      expect([name, fallback ?? '']).toEqual([name, text(bicepDefault)]);
    }
  });
});

describe('Node.js version', () => {
  const pkg = readJson('package.json') as { engines: { node: string }; devDependencies: Record<string, string> };

  it('is one main.bicep parameter (22, or 24) that matches package.json engines, @types/node and CI', () => {
    const nodeVersion = text(evaluate(main.param('nodeVersion').defaultValue!, {}));
    expect(nodeVersion).toBe('22');
    expect(decorator(main.param('nodeVersion'), 'allowed')!.map((e) => evaluate(e, {}))).toEqual([['22', '24']]);
    expect(pkg.engines.node).toMatch(new RegExp(`^>=${nodeVersion}(\\.\\d+){0,2}$`));
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^\\^?${nodeVersion}\\.`));
    expect(readText('.ci/node.sh')).toMatch(new RegExp(`^CI_NODE_VERSION=${nodeVersion}\\.\\d+\\.\\d+$`, 'm'));
    expect(memberPath(property(objectAt(main.module('api').value, 'params')!, 'nodeVersion'))).toBe('nodeVersion');
  });

  it('azd users can choose it (NODE_VERSION), and the README names the versions', () => {
    const parameters = readJson('infra/main.parameters.json') as { parameters: Record<string, { value: string }> };
    expect(parameters.parameters['nodeVersion']?.value).toBe('${NODE_VERSION=22}');
    expect(readText('README.md')).toMatch(/Node\.js 22 or 24/);
    expect(readText('docs/deploy.md')).toMatch(/NODE_VERSION/);
  });

  it('the Function App runtime takes it from that parameter, and no file names another version', () => {
    const api = files.get('infra/app/api.bicep')!;
    const site = api.modules().find((m) => m.path.startsWith('br/public:avm/res/web/site:'))!;
    const runtime = objectAt(site.value, 'params', 'functionAppConfig', 'runtime')!;
    expect(evaluate(property(runtime, 'name')!, {})).toBe('node');
    expect(memberPath(property(runtime, 'version'))).toBe('nodeVersion');
    expect(api.param('nodeVersion').defaultValue).toBeUndefined();
    for (const [path, file] of files) {
      expect([path, /runtimeVersion|WEBSITE_NODE_DEFAULT_VERSION|linuxFxVersion/.test(file.source)]).toEqual([
        path,
        false,
      ]);
    }
  });
});

describe('.funcignore', () => {
  const patterns = funcignorePatterns();
  const yaml = parseYamlMapping(readText('azure.yaml'));

  it('matches remote build: sources in, node_modules and build output out', () => {
    expect(get(yaml, 'services', 'api', 'remoteBuild')).toBe(true);
    for (const path of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'host.json',
      'src/index.ts',
      'src/functions/goLiveStart.ts',
    ]) {
      expect([path, isIgnored(patterns, path)]).toEqual([path, false]);
    }
    for (const path of [
      'node_modules/zod/package.json',
      'dist/src/index.js',
      // What CI and infra:check restore (Node 22, the Bicep CLI): hundreds of MB that are no part of the app.
      '.tools/node-22.23.5/bin/node',
      '.tools/nuget/azure.bicep.commandline.linux-x64/0.49.2/tools/bicep',
      'tools/bicep/bicep.csproj',
      'test/unit/x.test.ts',
      'local.settings.json',
      '.gitignore',
      'infra/main.bicep',
    ]) {
      expect([path, isIgnored(patterns, path)]).toEqual([path, true]);
    }
  });

  it('ships every source file the remote build compiles, and the app imports nothing it leaves out', () => {
    const walk = (dir: string): string[] =>
      readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(`${dir}/${e.name}`) : [`${dir}/${e.name}`],
      );
    const sources = walk('src').filter((f) => f.endsWith('.ts'));
    expect(sources.length).toBeGreaterThan(10);
    for (const file of sources) {
      expect([file, isIgnored(patterns, file)]).toEqual([file, false]);
      for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = relative(ROOT, join(ROOT, dirname(file), m[1]!));
        expect([file, m[1], target.startsWith('src/') || target === 'src']).toEqual([file, m[1], true]);
      }
    }
    // package.json "main" is the build output of those sources.
    const pkg = readJson('package.json') as { main: string; scripts: Record<string, string> };
    expect(pkg.main.startsWith('dist/src/')).toBe(true);
    expect(pkg.scripts['build']).toMatch(/^tsc\b/);
  });
});

describe('dependencies', () => {
  const pkg = readJson('package.json') as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(`${dir}/${e.name}`) : [`${dir}/${e.name}`],
    );
  /** Package names the app loads: `from 'pkg'` imports and `require('pkg')` / createRequire(...)('pkg') calls. */
  const appPackages = new Set(
    walk('src')
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(/(?:from |require\(|\)\()'([^.'][^']*)'/g)])
      .map((m) => m[1]!)
      .filter((name) => !name.startsWith('node:'))
      .map((name) => (name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]!)),
  );

  it('the app loads only runtime dependencies, and every runtime dependency is one it loads', () => {
    expect(appPackages.size).toBeGreaterThan(4);
    expect([...appPackages].filter((p) => !(p in pkg.dependencies))).toEqual([]);
    expect(Object.keys(pkg.dependencies).filter((p) => !appPackages.has(p))).toEqual([]);
  });

  it('tools and scripts packages stay development dependencies (the deployed app never loads them)', () => {
    for (const name of ['@azure/storage-queue', '@azure/storage-blob', 'azurite']) {
      expect([name, name in pkg.devDependencies, name in pkg.dependencies]).toEqual([name, true, false]);
    }
    // The submit ledger (src/golive/submitLedger.ts) is a table: that client is the app's own.
    expect(['@azure/data-tables', '@azure/data-tables' in pkg.dependencies]).toEqual(['@azure/data-tables', true]);
  });
});
