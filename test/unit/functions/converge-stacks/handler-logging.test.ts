import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The logger reads its level when the handler module loads, so raise it before the import.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});

const { handler } = await import('../../../../functions/converge-stacks/handler.ts');
const { context, freeSlots } = await import('./handler.fixture.ts');

const cfn = mockClient(CloudFormationClient);
const secretValue = 'registry.example.com/acme/private-image:4f9c2b';

let lines: string[] = [];

beforeEach(() => {
  cfn.reset();
  freeSlots();
  lines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('converge-stacks logging', () => {
  it('logs each stack status and action with the tenant keys, never parameter values', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error('Stack with id tenant-2f1c9d3e does not exist'), {
          name: 'ValidationError',
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .on(CreateStackCommand)
      .resolves({ StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/tenant-2f1c9d3e/1' });

    await handler(
      {
        request: {
          operation: 'onboarding',
          tenantId: '2f1c9d3e',
          registrationId: 'b8e0a1c2',
          executionArn: 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:6a7e8feb',
        },
        desired: 'present',
        stacks: [
          {
            stackName: 'tenant-2f1c9d3e',
            templateUrl: 'https://templates.example/t.json',
            parameters: { Service0Image: secretValue },
          },
        ],
        redriveCount: 0,
      },
      context,
    );

    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const stackLine = entries.find((entry) => entry.message === 'Stack observed');
    expect(stackLine).toMatchObject({
      stackName: 'tenant-2f1c9d3e',
      status: 'not found',
      action: 'create',
      requestOutcome: 'accepted',
      parameterNames: ['Service0Image'],
      tenantId: '2f1c9d3e',
      executionArn: 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:6a7e8feb',
    });
    expect(lines.join('')).not.toContain(secretValue);
  });
});
