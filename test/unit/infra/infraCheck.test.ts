import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { check, type Diagnostic, ENTRY, judge, parseDiagnostics, ROOT } from '../../../scripts/infraCheck';

/** Sources in memory, by absolute path. */
const MAIN = '/x/infra/main.bicep';
const APP = '/x/infra/app/api.bicep';
const SOURCES: Record<string, string> = {
  [MAIN]: [
    "module id 'br/public:avm/res/managed-identity/user-assigned-identity:0.6.0' = {",
    '}',
    "module api './app/api.bicep' = {",
    '}',
    'var local = 1',
    'output o string = id.outputs.clientId',
  ].join('\n'),
  [APP]: ["module site 'br/public:avm/res/web/site:0.24.0' = {", '}', 'output n string = site.outputs.name'].join('\n'),
};
const read = (file: string): string | undefined => SOURCES[file];

/** Lines as the CLI prints them (captured from Bicep CLI 0.49.2 with --no-restore). */
const url = (code: string) => ` [https://aka.ms/bicep/core-diagnostics#${code}]`;
const NOT_RESTORED = (file: string, line: number, ref: string) =>
  `${file}(${line},14) : Error BCP190: The artifact with reference "br:mcr.microsoft.com/bicep/${ref}" has not been restored.${url('BCP190')}`;
const INVALID = (file: string, line: number, name: string) =>
  `${file}(${line},20) : Error BCP062: The referenced declaration with name "${name}" is not valid.${url('BCP062')}`;
const MODULE_HAS_ERRORS = (file: string, line: number) =>
  `${file}(${line},12) : Error BCP104: The referenced module has errors.${url('BCP104')}`;

const registryOnly = [
  NOT_RESTORED(MAIN, 1, 'avm/res/managed-identity/user-assigned-identity:0.6.0'),
  INVALID(MAIN, 6, 'id'),
  MODULE_HAS_ERRORS(MAIN, 3),
  NOT_RESTORED(APP, 1, 'avm/res/web/site:0.24.0'),
  INVALID(APP, 3, 'site'),
].join('\n');

describe('infra:check verdict', () => {
  it('reads the CLI lines: file, position, level, code, message without the link', () => {
    const [d] = parseDiagnostics(INVALID(APP, 3, 'site'));
    expect(d).toEqual<Diagnostic>({
      file: APP,
      line: 3,
      column: 20,
      level: 'Error',
      code: 'BCP062',
      message: 'The referenced declaration with name "site" is not valid.',
    });
    expect(() => parseDiagnostics('Something else went wrong')).toThrow(/Unexpected Bicep CLI output/);
  });

  it('tolerates, and counts, only what unrestored registry modules cause', () => {
    const verdict = judge(parseDiagnostics(registryOnly), read);
    expect(verdict.errors).toEqual([]);
    expect(verdict.warnings).toEqual([]);
    expect(verdict.tolerated.map((d) => d.code).sort()).toEqual(['BCP062', 'BCP062', 'BCP104', 'BCP190', 'BCP190']);
    expect(verdict.registryModules).toEqual([
      'br/public:avm/res/managed-identity/user-assigned-identity:0.6.0',
      'br/public:avm/res/web/site:0.24.0',
    ]);
  });

  it('counts the same diagnostic from build and lint once', () => {
    expect(judge(parseDiagnostics(`${registryOnly}\n${registryOnly}`), read).tolerated).toHaveLength(5);
  });

  it('fails an invalid declaration that is not a registry module', () => {
    const verdict = judge(parseDiagnostics(`${registryOnly}\n${INVALID(MAIN, 5, 'local')}`), read);
    expect(verdict.errors.map((d) => [d.code, d.line])).toEqual([['BCP062', 5]]);
  });

  it('fails a local module with errors when one of its errors is its own', () => {
    const own = `${APP}(2,5) : Error BCP037: The property "bogus" is not allowed on objects of type "params".${url('BCP037')}`;
    const verdict = judge(parseDiagnostics(`${registryOnly}\n${own}`), read);
    expect(verdict.errors.map((d) => d.code).sort()).toEqual(['BCP037', 'BCP104']);
  });

  it('fails a not-restored diagnostic on a line that is no public registry module, and every warning', () => {
    const stray = NOT_RESTORED(MAIN, 5, 'other/module:1.0.0');
    const warning = `${MAIN}(5,1) : Warning no-unused-vars: Variable "local" is declared but never used.${url('x')}`;
    const verdict = judge(parseDiagnostics(`${registryOnly}\n${stray}\n${warning}`), read);
    expect(verdict.errors.map((d) => [d.code, d.line])).toEqual([['BCP190', 5]]);
    expect(verdict.warnings.map((d) => d.code)).toEqual(['no-unused-vars']);
  });
});

// The real CLI, restored from NuGet (.NET SDK needed; `npm run infra:check` restores the same pinned version).
describe('infra:check with the Bicep CLI', () => {
  it('finds infra/ clean but for the registry modules it cannot restore offline', () => {
    const { version, verdict } = check(ENTRY);
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect([...verdict.errors, ...verdict.warnings]).toEqual([]);
    expect(verdict.registryModules).toHaveLength(7);
  }, 120_000);

  it('fails a wrong property, an API version Bicep has no types for, and a local module parameter', () => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-check-'));
    try {
      cpSync(join(ROOT, 'infra'), join(dir, 'infra'), { recursive: true });
      const dts = join(dir, 'infra', 'app', 'dts.bicep');
      writeFileSync(
        dts,
        readFileSync(dts, 'utf8')
          .replace('ipAllowlist: [', 'ipAllowList: [')
          .replace(
            "'Microsoft.DurableTask/schedulers/taskHubs@2026-02-01'",
            "'Microsoft.DurableTask/schedulers/taskHubs@2099-01-01'",
          ),
      );
      const main = join(dir, 'infra', 'main.bicep');
      writeFileSync(main, readFileSync(main, 'utf8').replace("taskHubName: 'golive'", "taskHub: 'golive'"));
      const { verdict } = check(main);
      const found = [...verdict.errors, ...verdict.warnings].map((d) => `${d.code} ${d.message}`);
      expect(found).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^BCP089 The property "ipAllowList" is not allowed/),
          expect.stringMatching(/^BCP081 Resource type "Microsoft.DurableTask\/schedulers\/taskHubs@2099-01-01"/),
          expect.stringMatching(/^BCP035 .*missing the following required properties: "taskHubName"/),
          expect.stringMatching(/^BCP037 The property "taskHub" is not allowed/),
        ]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
