/**
 * ClientRequestToken in the CloudFormation simulator: its form, and the strict model of reuse (every
 * reuse on a stack name is refused with TokenAlreadyExistsException, the exact replay included, and
 * tokens are remembered across a delete and re-create). That every event of an operation carries
 * its token is tested in cloudformation.test.ts and cloudformation-delete.test.ts.
 */
import { CloudFormationServiceException, TokenAlreadyExistsException } from '@aws-sdk/client-cloudformation';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudFormationSimulator } from '../../../../local/cloud/cloudformation.ts';
import { createStackInput, FakeClock } from './cloud.fixture.ts';

let clock: FakeClock;
let cfn: CloudFormationSimulator;

beforeEach(() => {
  clock = new FakeClock();
  cfn = new CloudFormationSimulator({ now: clock.now, createMs: 1500, deleteMs: 1000 });
});

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

const tokenReused = (token: string) => ({
  name: 'TokenAlreadyExistsException',
  message: `ClientRequestToken ${token} has already been used for this stack`,
  $fault: 'client',
});

describe('CloudFormationSimulator ClientRequestToken', () => {
  it('refuses an exact replay of a CreateStack with TokenAlreadyExistsException, starting nothing', () => {
    const first = cfn.createStack(createStackInput('tenant-acme', { token: 'create-1' }));

    const replay = thrown(() => cfn.createStack(createStackInput('tenant-acme', { token: 'create-1' })));

    expect(replay).toBeInstanceOf(TokenAlreadyExistsException);
    expect(replay).toMatchObject(tokenReused('create-1'));
    expect(cfn.listStacks()).toEqual([
      expect.objectContaining({ stackId: first.StackId, status: 'CREATE_IN_PROGRESS' }),
    ]);
  });

  it('remembers a create token across a delete and a re-create of the same name, but not for another name', () => {
    cfn.createStack(createStackInput('tenant-acme', { token: 'create-1' }));
    clock.advance(1500);
    cfn.deleteStack({ StackName: 'tenant-acme', ClientRequestToken: 'delete-1' });
    clock.advance(1000);

    const again = thrown(() => cfn.createStack(createStackInput('tenant-acme', { token: 'create-1' })));
    const otherName = cfn.createStack(createStackInput('tenant-beta', { token: 'create-1' }));

    expect(again).toMatchObject(tokenReused('create-1'));
    expect(otherName.StackId).toContain('stack/tenant-beta/');
    expect(cfn.listStacks().map((stack) => [stack.stackName, stack.status])).toEqual([
      ['tenant-acme', 'DELETE_COMPLETE'],
      ['tenant-beta', 'CREATE_IN_PROGRESS'],
    ]);
  });

  it('refuses a DeleteStack token already used on the stack, while the delete runs and after the stack is gone', () => {
    const { StackId } = cfn.createStack(createStackInput('tenant-acme', { token: 'create-1' }));
    clock.advance(1500);
    cfn.deleteStack({ StackName: 'tenant-acme', ClientRequestToken: 'delete-1' });

    const whileDeleting = thrown(() => cfn.deleteStack({ StackName: 'tenant-acme', ClientRequestToken: 'delete-1' }));
    const createTokenForDelete = thrown(() =>
      cfn.deleteStack({ StackName: 'tenant-acme', ClientRequestToken: 'create-1' }),
    );
    clock.advance(1000);
    const afterwards = thrown(() => cfn.deleteStack({ StackName: StackId ?? '', ClientRequestToken: 'delete-1' }));

    expect(whileDeleting).toMatchObject(tokenReused('delete-1'));
    expect(createTokenForDelete).toMatchObject(tokenReused('create-1'));
    expect(afterwards).toMatchObject(tokenReused('delete-1'));
    // A new token on a gone stack is the documented silent success.
    expect(cfn.deleteStack({ StackName: 'tenant-acme', ClientRequestToken: 'delete-2' }).$metadata.httpStatusCode).toBe(
      200,
    );
  });

  it('refuses a re-create of a rolled-back-and-deleted stack with its first create token', () => {
    cfn.failNextCreate('tenant-acme', 'Injected rollback');
    cfn.createStack(createStackInput('tenant-acme', { token: 'create-1' }));
    clock.advance(2500);
    cfn.deleteStack({ StackName: 'tenant-acme', ClientRequestToken: 'delete-1' });
    clock.advance(1000);

    expect(() => cfn.createStack(createStackInput('tenant-acme', { token: 'create-1' }))).toThrow(
      TokenAlreadyExistsException,
    );
    expect(cfn.createStack(createStackInput('tenant-acme', { token: 'create-2' })).StackId).toContain(
      'stack/tenant-acme/',
    );
  });

  it.each([
    ['empty', ''],
    ['starting with a hyphen', '-create-1'],
    ['with an underscore', 'create_1'],
    ['longer than 128 characters', `c${'1'.repeat(128)}`],
  ])('rejects a token %s with ValidationError', (_label, token) => {
    const error = thrown(() => cfn.createStack(createStackInput('tenant-acme', { token })));

    expect(error).toBeInstanceOf(CloudFormationServiceException);
    expect(error).toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining("at 'clientRequestToken' failed to satisfy constraint"),
    });
    expect(cfn.listStacks()).toEqual([]);
    // The boundary and the console's own token form are accepted.
    cfn.createStack(createStackInput('tenant-acme', { token: `c${'1'.repeat(127)}` }));
    cfn.createStack(
      createStackInput('tenant-beta', { token: 'Console-CreateStack-7f59c3cf-00d2-40c7-b2ff-e75db0987002' }),
    );
    expect(cfn.listStacks()).toHaveLength(2);
  });
});
