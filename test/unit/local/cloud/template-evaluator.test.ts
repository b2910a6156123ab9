import { describe, expect, it } from 'vitest';
import {
  assertSupportedFunctions,
  evaluate,
  evaluateCondition,
  noValue,
  referencedNames,
  TemplateEvaluationError,
  type EvaluationScope,
} from '../../../../local/cloud/template-evaluator.ts';

/** A scope over fixed parameters, conditions and resources. */
function scope(
  options: {
    parameters?: Record<string, string | string[]>;
    conditions?: Record<string, boolean>;
    resources?: Record<string, string>;
  } = {},
): EvaluationScope {
  return {
    pseudo: { stackName: 'tenant-acme', region: 'us-east-1', accountId: '111122223333', partition: 'aws' },
    parameter: (name) => options.parameters?.[name],
    condition: (name) => {
      const value = options.conditions?.[name];
      if (value === undefined) throw new TemplateEvaluationError(`Condition ${name} is not declared`);
      return value;
    },
    resource: (logicalId) => options.resources?.[logicalId],
    attribute: (logicalId, attribute) => {
      if (logicalId === 'TargetGroup' && attribute === 'TargetGroupName') return 'tenant-acme-tg';
      throw new TemplateEvaluationError(`Fn::GetAtt ${logicalId}.${attribute} is not modelled`);
    },
  };
}

const defaults = scope({
  parameters: { TenantId: 'acme', SubnetIds: ['subnet-a', 'subnet-b'], ServiceCount: '2' },
  conditions: { IsHost: true, HasService3: false },
  resources: {
    Cluster: 'tenant-acme',
    TargetGroup: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/tenant-acme-tg/0123',
  },
});

function run(value: unknown, within = defaults): unknown {
  return evaluate(value, within, 'Test');
}

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('evaluate: Ref', () => {
  it.each([
    [{ Ref: 'TenantId' }, 'acme'],
    [{ Ref: 'SubnetIds' }, ['subnet-a', 'subnet-b']],
    [{ Ref: 'Cluster' }, 'tenant-acme'],
    [{ Ref: 'AWS::StackName' }, 'tenant-acme'],
    [{ Ref: 'AWS::Region' }, 'us-east-1'],
    [{ Ref: 'AWS::AccountId' }, '111122223333'],
    [{ Ref: 'AWS::Partition' }, 'aws'],
  ])('%j is %j', (expression, expected) => {
    expect(run(expression)).toEqual(expected);
  });

  it('drops a property or list element that is AWS::NoValue, and returns noValue at the top', () => {
    expect(run({ Name: { Ref: 'AWS::NoValue' }, Port: 80 })).toEqual({ Port: 80 });
    expect(run(['a', { Ref: 'AWS::NoValue' }, 'b'])).toEqual(['a', 'b']);
    expect(run({ Ref: 'AWS::NoValue' })).toBe(noValue);
  });

  it("names an unknown Ref target the way CloudFormation's template validation does", () => {
    expect(errorOf(() => run({ Ref: 'Missing' })).message).toBe(
      'Test.Ref: Unresolved resource dependencies [Missing] in the Resources block of the template',
    );
  });

  it('throws for a pseudo parameter it does not model', () => {
    expect(errorOf(() => run({ Ref: 'AWS::StackId' })).message).toContain('AWS::StackId is not modelled');
  });
});

describe('evaluate: string functions', () => {
  it('Fn::Sub replaces parameters, pseudo parameters, resources, attributes and its own variables, and keeps ${!literal}', () => {
    expect(
      run({ 'Fn::Sub': '${AWS::StackName}/${TenantId}/${Cluster}/${TargetGroup.TargetGroupName}/${!Literal}' }),
    ).toBe('tenant-acme/acme/tenant-acme/tenant-acme-tg/${Literal}');
    expect(run({ 'Fn::Sub': ['${Prefix}-${TenantId}', { Prefix: { Ref: 'AWS::Region' } }] })).toBe('us-east-1-acme');
  });

  it('Fn::Join joins a literal or evaluated list, numbers unquoted', () => {
    expect(run({ 'Fn::Join': ['-', ['tenant', { Ref: 'TenantId' }, 2]] })).toBe('tenant-acme-2');
    expect(run({ 'Fn::Join': [',', { Ref: 'SubnetIds' }] })).toBe('subnet-a,subnet-b');
  });

  it('Fn::Select picks from a list, Fn::Split makes one', () => {
    expect(run({ 'Fn::Select': [1, { Ref: 'SubnetIds' }] })).toBe('subnet-b');
    expect(run({ 'Fn::Select': ['0', { 'Fn::Split': ['/', 'a/b/c'] }] })).toBe('a');
    expect(errorOf(() => run({ 'Fn::Select': [5, ['a']] })).message).toContain('out of bounds');
  });

  it('Fn::GetAtt takes a list or a dotted string and rejects a resource that does not exist', () => {
    expect(run({ 'Fn::GetAtt': ['TargetGroup', 'TargetGroupName'] })).toBe('tenant-acme-tg');
    expect(run({ 'Fn::GetAtt': 'TargetGroup.TargetGroupName' })).toBe('tenant-acme-tg');
    expect(errorOf(() => run({ 'Fn::GetAtt': ['Nothing', 'Arn'] })).message).toContain(
      'Nothing, which is not an existing resource',
    );
  });
});

describe('evaluate: conditions', () => {
  it('Fn::If picks the branch of a named condition, evaluating only that one', () => {
    expect(run({ 'Fn::If': ['IsHost', 'host', { Ref: 'Missing' }] })).toBe('host');
    expect(run({ 'Fn::If': ['HasService3', { Ref: 'Missing' }, { Ref: 'AWS::NoValue' }] })).toBe(noValue);
  });

  it.each([
    [{ 'Fn::Equals': [{ Ref: 'ServiceCount' }, '2'] }, true],
    [{ 'Fn::Equals': [{ Ref: 'ServiceCount' }, 2] }, true],
    [{ 'Fn::Equals': [{ Ref: 'ServiceCount' }, '3'] }, false],
    [{ 'Fn::Or': [{ 'Fn::Equals': ['a', 'b'] }, { Condition: 'IsHost' }] }, true],
    [{ 'Fn::And': [{ Condition: 'IsHost' }, { Condition: 'HasService3' }] }, false],
    [{ 'Fn::Not': [{ Condition: 'HasService3' }] }, true],
  ])('%j is %s', (expression, expected) => {
    expect(evaluateCondition(expression, defaults, 'Conditions.Test')).toBe(expected);
  });

  it('rejects a condition expression that is not one', () => {
    expect(() => evaluateCondition('yes', defaults, 'Conditions.Test')).toThrow(TemplateEvaluationError);
  });

  it('treats an IAM statement Condition block as data, not as the Condition function', () => {
    const statement = {
      Effect: 'Allow',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    };

    expect(run(statement)).toEqual({
      Effect: 'Allow',
      Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
    });
  });
});

describe('evaluate: unsupported functions', () => {
  it.each(['Fn::Base64', 'Fn::ImportValue', 'Fn::GetAZs', 'Fn::FindInMap', 'Fn::Cidr', 'Fn::Transform'])(
    'throws naming %s and where it is',
    (name) => {
      const error = errorOf(() => run({ Outer: [{ [name]: 'x' }] }));

      expect(error).toBeInstanceOf(TemplateEvaluationError);
      expect(error.message).toBe(
        `Test.Outer[0].${name}: the intrinsic function ${name} is not supported by the local cloud's template evaluator`,
      );
    },
  );
});

describe('assertSupportedFunctions', () => {
  it('accepts a template using only the supported functions and IAM Condition blocks', () => {
    const template = {
      Conditions: {
        IsHost: { 'Fn::Equals': [{ Ref: 'RouteStyle' }, 'host'] },
        Both: { 'Fn::And': [{ Condition: 'IsHost' }, { 'Fn::Not': [{ Condition: 'IsHost' }] }] },
      },
      Resources: {
        Role: {
          Properties: { Statement: [{ Condition: { StringEquals: { a: { 'Fn::Sub': '${AWS::AccountId}' } } } }] },
        },
      },
    };

    expect(() => assertSupportedFunctions(template, 'Template')).not.toThrow();
  });

  it('names the first unsupported function and where it is', () => {
    const template = {
      Resources: { Task: { Properties: { UserData: { 'Fn::Base64': { 'Fn::Join': ['', ['x']] } } } } },
    };

    expect(() => assertSupportedFunctions(template, 'Template')).toThrow(
      new TemplateEvaluationError(
        "Template.Resources.Task.Properties.UserData.Fn::Base64: the intrinsic function Fn::Base64 is not supported by the local cloud's template evaluator",
      ),
    );
  });
});

describe('referencedNames', () => {
  it('collects Ref, Fn::GetAtt and Fn::Sub names in every branch, not Sub variables or literals', () => {
    const value = {
      A: { Ref: 'Cluster' },
      B: { 'Fn::GetAtt': ['Role', 'Arn'] },
      C: { 'Fn::GetAtt': 'LogGroup.Arn' },
      D: { 'Fn::Sub': ['${Own}-${Bucket}-${Queue.Arn}-${!Skip}', { Own: { Ref: 'Topic' } }] },
      E: { 'Fn::If': ['IsHost', { Ref: 'Left' }, { Ref: 'Right' }] },
    };

    expect([...referencedNames(value)].sort()).toEqual([
      'Bucket',
      'Cluster',
      'Left',
      'LogGroup',
      'Queue',
      'Right',
      'Role',
      'Topic',
    ]);
  });
});
