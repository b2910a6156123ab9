import { describe, expect, it } from 'vitest';
import { CloudFormationSimulator } from '../../../../local/cloud/cloudformation.ts';
import { shippedTemplateSource } from '../../../../local/cloud/template-source.ts';
import { readShippedTemplate } from '../../../../infra/tenant-templates/versions.ts';
import { createStackInput, FakeClock } from './cloud.fixture.ts';

function thrown(action: () => unknown): { name?: string; message?: string } {
  try {
    action();
  } catch (error) {
    return error as { name?: string; message?: string };
  }
  throw new Error('expected an error');
}

describe('shippedTemplateSource', () => {
  it('gives the frozen file of a shipped version, read once per process', () => {
    const source = shippedTemplateSource();

    const first = source('silo-services', '1.0.0');

    expect(first).toEqual(readShippedTemplate('silo-services', '1.0.0'));
    expect(source('silo-services', '1.0.0')).toBe(first);
  });

  it('has no template for a version that was never shipped, nor for a path-like version', () => {
    const source = shippedTemplateSource();

    expect(source('silo-cluster', '9.9.9')).toBeUndefined();
    expect(source('silo-cluster', '../silo-services/1.0.0')).toBeUndefined();
  });
});

describe('the local cloud and template versions', () => {
  it('refuses CreateStack from a version that was never published, creating nothing', () => {
    const cfn = new CloudFormationSimulator({ now: new FakeClock().now });
    const input = createStackInput('tenant-unshipped');
    const unshipped = { ...input, TemplateURL: input.TemplateURL?.replace('/1.0.0/', '/9.9.9/') };

    const error = thrown(() => cfn.createStack(unshipped));

    expect(error.name).toBe('ValidationError');
    expect(error.message).toMatch(/TemplateURL must reference a valid S3 object/);
    expect(cfn.describeStacks({}).Stacks ?? []).toEqual([]);
  });

  it('creates a stack from a shipped version', () => {
    const cfn = new CloudFormationSimulator({ now: new FakeClock().now });

    cfn.createStack(createStackInput('tenant-shipped'));

    expect(cfn.describeStacks({ StackName: 'tenant-shipped' }).Stacks?.[0]?.StackStatus).toBe('CREATE_IN_PROGRESS');
  });
});
