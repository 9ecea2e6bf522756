import { loadConfig } from '../../../src/config';
import { type BicepFile, evaluate, isPlainObject, objectAt, property, Ref, references, type Value } from './bicep';
import { bicep, memberPath, readJson } from './files';

const main = bicep('infra/main.bicep');
const rbac = bicep('infra/app/rbac.bicep');

/** Built-in role ids the app needs, with their names as Azure spells them. */
const ROLES = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Durable Task Data Contributor': '0ad04412-c4d5-4796-b79c-f76d14c8d402',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
} as const;

interface Assignment {
  resource: string;
  scope: string | undefined;
  roleId: string;
  principal: Value;
  principalType: Value;
}

/** Every role assignment rbac.bicep makes with these parameters (loops and conditions evaluated). */
function assignments(file: BicepFile, overrides: Record<string, Value> = {}): Assignment[] {
  const scope = file.scope(overrides);
  const out: Assignment[] = [];
  for (const r of file.resources().filter((x) => x.type.startsWith('Microsoft.Authorization/roleAssignments@'))) {
    const value = r.value;
    let bodies: Value[];
    if (value.kind === 'for') {
      const evaluated = evaluate(value, scope);
      if (!Array.isArray(evaluated)) throw new Error(`${r.name}: loop over an unknown array`);
      bodies = evaluated;
    } else if (value.kind === 'if') {
      const test = evaluate(value.test, scope);
      if (typeof test !== 'boolean') throw new Error(`${r.name}: unknown condition`);
      bodies = test ? [evaluate(value.body, scope)] : [];
    } else {
      bodies = [evaluate(value, scope)];
    }
    const scopeSymbol = memberPath(property(value, 'scope'));
    for (const body of bodies) {
      if (!isPlainObject(body) || !isPlainObject(body['properties']!)) throw new Error(`${r.name}: no properties`);
      const properties = body['properties'];
      const roleDefinitionId = properties['roleDefinitionId'];
      if (typeof roleDefinitionId !== 'string') throw new Error(`${r.name}: role not known before deployment`);
      out.push({
        resource: r.name,
        scope: scopeSymbol,
        roleId: roleDefinitionId.split('/').pop()!,
        principal: properties['principalId']!,
        principalType: properties['principalType']!,
      });
    }
  }
  return out;
}

const identity = new Ref('managedIdentityPrincipalId');

function identityRoles(list: Assignment[]): Map<string, string | undefined> {
  return new Map(
    list
      .filter((a) => a.principal instanceof Ref && a.principal.name === identity.name)
      .map((a) => [a.roleId, a.scope]),
  );
}

describe('storage', () => {
  const storage = bicep('infra/app/storage.bicep');
  const account = storage.modules().find((m) => m.path.startsWith('br/public:avm/res/storage/storage-account:'))!;
  const params = objectAt(account.value, 'params')!;

  it('creates every queue the app uses, and the requests poison queue', () => {
    const config = loadConfig({});
    const needed = [
      config.golive.requestsQueue,
      config.golive.eventsQueue,
      config.golive.rejectedQueue,
      `${config.golive.requestsQueue}-poison`,
    ];
    const passed = evaluate(property(objectAt(main.module('storage').value, 'params')!, 'queueNames')!, main.scope());
    expect(passed).toEqual(needed);
    const queueServices = evaluate(property(params, 'queueServices')!, storage.scope({ queueNames: passed }));
    expect(queueServices).toEqual({ queues: needed.map((name) => ({ name })) });
  });

  it('disables shared keys and public blob access, and creates the deployment container', () => {
    const scope = storage.scope({ deploymentContainerName: 'app-package' });
    expect(evaluate(property(params, 'allowSharedKeyAccess')!, scope)).toBe(false);
    expect(evaluate(property(params, 'allowBlobPublicAccess')!, scope)).toBe(false);
    expect(evaluate(property(params, 'blobServices')!, scope)).toEqual({ containers: [{ name: 'app-package' }] });
    expect(memberPath(property(objectAt(main.module('storage').value, 'params')!, 'deploymentContainerName'))).toBe(
      'deploymentContainerName',
    );
  });

  it('outputs the blob, queue and table endpoints', () => {
    const outputs = new Map(storage.outputs().map((o) => [o.name, memberPath(o.value)]));
    expect(outputs.get('blobEndpoint')).toBe('storageAccount.outputs.serviceEndpoints.blob');
    expect(outputs.get('queueEndpoint')).toBe('storageAccount.outputs.serviceEndpoints.queue');
    expect(outputs.get('tableEndpoint')).toBe('storageAccount.outputs.serviceEndpoints.table');
  });

  it('keeps the storage account and container names within Azure limits', () => {
    const scope = main.scope({ environmentName: 'e', location: 'l' });
    // uniqueString is 13 characters.
    const token = 'abcdefghijklm';
    const name = evaluate(property(objectAt(main.module('storage').value, 'params')!, 'name')!, {
      ...scope,
      resourceToken: token,
    });
    expect(name).toMatch(/^[a-z0-9]{3,24}$/);
    const container = evaluate(main.variable('deploymentContainerName').value, {
      ...scope,
      resourceToken: token,
      functionAppName: evaluate(main.variable('functionAppName').value, { ...scope, resourceToken: token }),
    });
    expect(container).toMatch(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/);
  });
});

describe('role assignments', () => {
  it('names each role GUID with a comment that says which role it is', () => {
    const byId = new Map<string, string>(Object.entries(ROLES).map(([name, id]) => [id, name]));
    const guidVars = rbac
      .vars()
      .filter((v) =>
        /^'[0-9a-f-]{36}'$/.test(rbac.source.split('\n')[v.line - 1]!.split('=')[1]!.trim().split(' ')[0]!),
      );
    expect(guidVars.length).toBeGreaterThanOrEqual(6);
    for (const v of guidVars) {
      const id = evaluate(v.value, {}) as string;
      const comment = rbac.trailingComment(v);
      if (byId.has(id)) expect([v.name, comment]).toEqual([v.name, byId.get(id)]);
      else expect([v.name, comment]).toEqual([v.name, expect.stringMatching(/\S/)]);
    }
  });

  it('gives the app identity blob, queue, table and metrics roles, on the storage account and Application Insights', () => {
    const roles = identityRoles(assignments(rbac));
    expect(roles.get(ROLES['Storage Blob Data Owner'])).toBe('storageAccount');
    expect(roles.get(ROLES['Storage Queue Data Contributor'])).toBe('storageAccount');
    expect(roles.get(ROLES['Storage Table Data Contributor'])).toBe('storageAccount');
    expect(roles.get(ROLES['Monitoring Metrics Publisher'])).toBe('applicationInsights');
    expect(roles.has(ROLES['Durable Task Data Contributor'])).toBe(false);
    expect(roles.has(ROLES['Key Vault Secrets User'])).toBe(false);
    for (const a of assignments(rbac).filter((x) => x.principal instanceof Ref)) {
      expect(a.principalType).toBe('ServicePrincipal');
    }
  });

  it('adds Durable Task Data Contributor when the Durable Task Scheduler is used', () => {
    const roles = identityRoles(assignments(rbac, { durableTaskSchedulerName: 'dts-1' }));
    expect(roles.get(ROLES['Durable Task Data Contributor'])).toBe('scheduler');
    const passed = property(objectAt(main.module('rbac').value, 'params')!, 'durableTaskSchedulerName');
    expect(passed?.kind === 'ternary' && memberPath(passed.test)).toBe('useDurableTaskScheduler');
  });

  it('adds Key Vault Secrets User when the client secret is in Key Vault', () => {
    const roles = identityRoles(assignments(rbac, { keyVaultName: 'kv-1' }));
    expect(roles.get(ROLES['Key Vault Secrets User'])).toBe('vault');
    const passed = property(objectAt(main.module('rbac').value, 'params')!, 'keyVaultName');
    expect(passed?.kind === 'ternary' && memberPath(passed.test)).toBe('useKeyVault');
  });

  it('gives the person running azd data roles only when a principal id is given', () => {
    expect(assignments(rbac).filter((a) => !(a.principal instanceof Ref))).toEqual([]);
    const withUser = assignments(rbac, { userPrincipalId: 'user-1', keyVaultName: 'kv-1' });
    const userRoles = withUser.filter((a) => a.principal === 'user-1').map((a) => a.roleId);
    expect(userRoles).toEqual(
      expect.arrayContaining([ROLES['Storage Queue Data Contributor'], ROLES['Monitoring Metrics Publisher']]),
    );
    expect(userRoles).not.toContain(ROLES['Key Vault Secrets User']);
  });

  it('names every assignment with guid() over its scope, principal and role, so each is unique and stable', () => {
    for (const r of rbac.resources().filter((x) => x.type.startsWith('Microsoft.Authorization/roleAssignments@'))) {
      const name = property(r.value, 'name');
      expect([r.name, name?.kind === 'call' && name.callee.kind === 'ident' && name.callee.name]).toEqual([
        r.name,
        'guid',
      ]);
      const refs = name ? references(name) : new Set<string>();
      const scope = memberPath(property(r.value, 'scope'))!;
      expect([r.name, refs.has(scope)]).toEqual([r.name, true]);
    }
    const all = assignments(rbac, { userPrincipalId: 'u', durableTaskSchedulerName: 'd', keyVaultName: 'k' });
    const keys = all.map(
      (a) => `${a.scope}|${a.principal instanceof Ref ? a.principal.name : JSON.stringify(a.principal)}|${a.roleId}`,
    );
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('main.bicep assigns the roles to the identity the Function App runs as', () => {
    const params = objectAt(main.module('rbac').value, 'params')!;
    expect(memberPath(property(params, 'managedIdentityPrincipalId'))).toBe('apiIdentity.outputs.principalId');
    expect(memberPath(property(params, 'storageAccountName'))).toBe('storage.outputs.name');
    expect(memberPath(property(params, 'appInsightsName'))).toBe('monitoring.outputs.applicationInsightsName');
    // The app starts only after its roles exist.
    const dependsOn = property(main.module('api').value, 'dependsOn');
    expect(dependsOn?.kind === 'array' && dependsOn.items.map((i) => memberPath(i))).toEqual(['rbac']);
  });
});

describe('Durable Task Scheduler option', () => {
  const api = bicep('infra/app/api.bicep');
  const host = readJson('host.json') as { extensions: { durableTask: Record<string, unknown> } };

  it('points the Durable extension at the scheduler through host.json overrides that name real host.json paths', () => {
    const settings = evaluate(
      api.variable('durableSettings').value,
      api.scope({ durableTaskSchedulerEndpoint: 'https://dts.example' }),
    );
    expect(isPlainObject(settings)).toBe(true);
    const s = settings as Record<string, Value>;
    expect(s['AzureFunctionsJobHost__extensions__durableTask__storageProvider__type']).toBe('azureManaged');
    const connectionName = s['AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName'];
    expect(typeof connectionName).toBe('string');
    expect(s[connectionName as string]).toBe(
      'Endpoint=https://dts.example;Authentication=ManagedIdentity;ClientID=${identityClientId}',
    );
    // Each override names an existing host.json object; `type` and `hubName` replace values host.json has.
    for (const key of Object.keys(s).filter((k) => k.startsWith('AzureFunctionsJobHost__'))) {
      const path = key.split('__').slice(1);
      const leaf = path.pop()!;
      let node: unknown = host;
      for (const segment of path) {
        expect([key, segment, typeof node === 'object' && node !== null && segment in node]).toEqual([
          key,
          segment,
          true,
        ]);
        node = (node as Record<string, unknown>)[segment];
      }
      if (leaf === 'type' || leaf === 'hubName') expect([key, leaf in (node as object)]).toEqual([key, true]);
    }
    expect(evaluate(api.variable('durableSettings').value, api.scope())).toEqual({});
  });

  it('creates the task hub host.json names', () => {
    const hubName = host.extensions.durableTask['hubName'];
    const dtsParams = objectAt(main.module('durableTaskScheduler').value, 'params')!;
    expect(evaluate(property(dtsParams, 'taskHubName')!, {})).toBe(hubName);
    expect(evaluate(property(objectAt(main.module('api').value, 'params')!, 'durableTaskHubName')!, {})).toBe(hubName);
    expect(main.module('durableTaskScheduler').value.kind).toBe('if');
  });
});
