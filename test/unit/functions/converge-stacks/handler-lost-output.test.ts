/**
 * A Lambda invocation that did its work but lost its output (it timed out after the request, or
 * its result never reached Step Functions) is retried with the same input, so the retry's
 * progress does not list what the first invocation asked CloudFormation to do. Whether a failed
 * stack is this attempt's own must come from CloudFormation itself. Played against the local
 * cloud, which refuses a reused ClientRequestToken as CloudFormation does.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/converge-stacks/handler.ts';
import { CloudFormationSimulator } from '../../../../local/cloud/cloudformation.ts';
import { createStackInput, FakeClock } from '../../local/cloud/cloud.fixture.ts';
import { context, freeSlots, request } from './handler.fixture.ts';

const cfn = mockClient(CloudFormationClient);
const stackName = 'tenant-2f1c9d3e';

let clock: FakeClock;
let cloud: CloudFormationSimulator;

beforeEach(() => {
  clock = new FakeClock();
  cloud = new CloudFormationSimulator({ now: clock.now, createMs: 1500, deleteMs: 1000 });
  cfn.reset();
  cfn.on(CreateStackCommand).callsFake((input) => cloud.createStack(input));
  cfn.on(DescribeStacksCommand).callsFake((input) => cloud.describeStacks(input));
  cfn.on(DescribeStackEventsCommand).callsFake((input) => cloud.describeStackEvents(input));
  cfn.on(DeleteStackCommand).callsFake((input) => cloud.deleteStack(input));
  freeSlots();
});

/** The onboarding loop's input for a stack the local cloud accepts (progress absent on the first call). */
function onboarding(progress?: unknown) {
  const planned = createStackInput(stackName, { model: 'silo-services' });
  const parameters = Object.fromEntries(
    (planned.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']),
  );
  return {
    request,
    desired: 'present',
    stacks: [{ stackName, templateUrl: planned.TemplateURL, parameters, tags: { tenantId: '2f1c9d3e' } }],
    ...(progress !== undefined ? { progress } : {}),
    redriveCount: 0,
  };
}

function offboarding(progress?: unknown) {
  return {
    request: { ...request, operation: 'offboarding' },
    desired: 'absent',
    stacks: [{ stackName }],
    ...(progress !== undefined ? { progress } : {}),
    redriveCount: 0,
  };
}

describe('converge-stacks after a lost output', () => {
  it('reports its own create that rolled back, although the retried call never saw the create', async () => {
    cloud.failNextCreate(stackName, 'Resource handler returned message: "Injected rollback"');
    // The first invocation creates the stack; its output is lost, so Step Functions retries the same input.
    await handler(onboarding(), context);
    const retried = await handler(onboarding(), context);
    expect(cfn.commandCalls(CreateStackCommand)).toHaveLength(1);

    clock.advance(2500);
    const outcome = await handler(onboarding(retried), context).catch((error: unknown) => error);

    expect(outcome).toMatchObject({
      name: 'StackCreationFailed',
      message: expect.stringContaining('Injected rollback'),
    });
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('reports its own delete that failed, without deleting again, although the retried call never saw the delete', async () => {
    cloud.createStack(createStackInput(stackName, { model: 'silo-services', token: 'Console-CreateStack-1' }));
    clock.advance(1500);
    cloud.failNextDelete(stackName, 'Injected delete failure');
    await handler(offboarding(), context);
    const retried = await handler(offboarding(), context);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(1);

    clock.advance(1000);
    const outcome = await handler(offboarding(retried), context).catch((error: unknown) => error);

    expect(outcome).toMatchObject({
      name: 'StackDeletionFailed',
      message: expect.stringContaining('Injected delete failure'),
    });
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(1);
  });
});
