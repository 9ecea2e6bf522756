import { BicepFile, BicepSyntaxError, evaluate, objectAt, Ref, references, Unknown } from './bicep';

describe('Bicep reader', () => {
  it('reads params with decorators, defaults and types', () => {
    const file = new BicepFile(
      [
        "targetScope = 'subscription'",
        '@minLength(1)',
        "@description('The name')",
        'param name string',
        '@allowed([',
        "  'a'",
        "  'b'",
        '])',
        "param choice string = 'a'",
        'param count int = 3',
        'param maybe string?',
      ].join('\n'),
    );
    expect(file.targetScope).toBe('subscription');
    expect(file.params().map((p) => [p.name, p.type])).toEqual([
      ['name', 'string'],
      ['choice', 'string'],
      ['count', 'int'],
      ['maybe', 'string?'],
    ]);
    expect(file.param('name').decorators.map((d) => d.name)).toEqual(['minLength', 'description']);
    const allowed = file.param('choice').decorators.find((d) => d.name === 'allowed')!;
    expect(evaluate(allowed.args[0]!, {})).toEqual(['a', 'b']);
    const scope = file.scope();
    expect(scope['choice']).toBe('a');
    expect(scope['count']).toBe(3);
    expect(scope['name']).toEqual(new Ref('name'));
  });

  it('evaluates vars: objects, interpolation, member access, ternaries across lines, functions', () => {
    const file = new BicepFile(
      [
        "param env string = 'dev'",
        "param token string = ''",
        'var names = {',
        "  queue: 'q-${env}'",
        "  other: 'x', third: 3",
        '}',
        "var poison = '${names.queue}-poison'",
        'var pick = empty(token)',
        "  ? 'none'",
        '  : token',
        "var merged = union({ a: '1' }, { b: string(names.third) })",
        "var lower = toLower('ABC')",
      ].join('\n'),
    );
    const scope = file.scope();
    expect(scope['names']).toEqual({ queue: 'q-dev', other: 'x', third: 3 });
    expect(scope['poison']).toBe('q-dev-poison');
    expect(scope['pick']).toBe('none');
    expect(file.scope({ token: 'abc' })['pick']).toBe('abc');
    expect(scope['merged']).toEqual({ a: '1', b: '3' });
    expect(scope['lower']).toBe('abc');
  });

  it('reads resources and modules with conditions and loops, and keeps trailing comments', () => {
    const file = new BicepFile(
      [
        "var roleA = '11111111-1111-1111-1111-111111111111' // Role A",
        'var roles = [',
        '  roleA',
        ']',
        'param principalId string',
        "resource sa 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {",
        "  name: 'st'",
        '}',
        "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = [",
        '  for (role, i) in roles: if (!empty(principalId)) {',
        '    name: guid(sa.id, principalId, role)',
        '    scope: sa',
        '    properties: {',
        "      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)",
        '    }',
        '  }',
        ']',
        "module m './app/m.bicep' = if (true) {",
        "  name: 'm'",
        '  params: {',
        '    value: sa.properties.primaryEndpoints.blob',
        '    id: m2!.outputs.id',
        '  }',
        '}',
      ].join('\n'),
    );
    expect(file.trailingComment(file.variable('roleA'))).toBe('Role A');
    const [sa, ra] = file.resources();
    expect(sa).toMatchObject({ name: 'sa', existing: true });
    expect(ra).toMatchObject({ name: 'ra', type: 'Microsoft.Authorization/roleAssignments@2022-04-01' });
    expect(ra!.value.kind).toBe('for');
    const roleAssignments = evaluate(ra!.value, file.scope({ principalId: 'p-1' }));
    expect(roleAssignments).toEqual([
      {
        name: new Unknown('call guid'),
        scope: new Unknown('symbol sa'),
        properties: {
          roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/11111111-1111-1111-1111-111111111111',
        },
      },
    ]);
    expect(evaluate(ra!.value, file.scope({ principalId: '' }))).toEqual([]);
    const m = file.module('m');
    expect(m.path).toBe('./app/m.bicep');
    expect(objectAt(m.value, 'params')!.properties.map((p) => p.key)).toEqual(['value', 'id']);
    expect([...references(m.value)]).toEqual(expect.arrayContaining(['sa', 'm2']));
  });

  it('refuses malformed Bicep with the line', () => {
    expect(() => new BicepFile("param a string = 'x\nparam b string")).toThrow(BicepSyntaxError);
    expect(() => new BicepFile('var a = {\n  b: 1 c: 2\n}')).toThrow(/line 2/);
    expect(() => new BicepFile('var a = {\n  b: 1\n  b: 2\n}')).toThrow(/duplicate property 'b'/);
    expect(() => new BicepFile('resource r = {}')).toThrow(BicepSyntaxError);
    expect(() => new BicepFile('whatever x = 1')).toThrow(/unknown declaration/);
  });
});
