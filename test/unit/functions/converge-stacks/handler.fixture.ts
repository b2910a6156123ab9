/** Inputs, SDK responses and a Lambda context shared by the converge-stacks handler tests. */
import type { Stack } from '@aws-sdk/client-cloudformation';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { attemptTagKey, attemptTagValue, clientRequestToken } from '../../../../functions/shared/aws/stacks.ts';
import type { StackProgress } from '../../../../functions/shared/step/schemas.ts';
import { stackId, stackName } from './stack-events.fixture.ts';

export const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:6a7e8feb';
export const roleArn = 'arn:aws:iam::111122223333:role/tenant-stacks'; // CLOUDFORMATION_ROLE_ARN in test/setup-env.ts
const templateUrl = 'https://templates.s3.us-east-1.amazonaws.com/tenant-templates/silo-services/1.0.0/template.json';

export const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'converge-stacks',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:converge-stacks',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/converge-stacks',
  logStreamName: '2026/11/20/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

export const request = {
  operation: 'onboarding',
  tenantId: '2f1c9d3e',
  registrationId: 'b8e0a1c2',
  tier: 'advanced',
  executionArn,
} as const;

export function onboardingInput(progress?: StackProgress, redriveCount = 0) {
  return {
    request,
    desired: 'present',
    stacks: [
      {
        stackName,
        templateUrl,
        templateVersion: '1.0.0',
        parameters: { TenantId: '2f1c9d3e', Tier: 'advanced', Service0Image: 'public.ecr.aws/nginx/nginx:1.27' },
        tags: { 'tenant-id': '2f1c9d3e' },
      },
    ],
    ...(progress !== undefined ? { progress } : {}),
    redriveCount,
  };
}

export function offboardingInput(progress?: StackProgress, redriveCount = 0) {
  return {
    request: { ...request, operation: 'offboarding' },
    desired: 'absent',
    stacks: [{ stackName }],
    ...(progress !== undefined ? { progress } : {}),
    redriveCount,
  };
}

export function stackIn(status: Stack['StackStatus'], extra: Partial<Stack> = {}) {
  return {
    Stacks: [{ StackName: stackName, StackId: stackId, CreationTime: new Date(), StackStatus: status, ...extra }],
  };
}

export function notFound(): Error {
  return Object.assign(new Error(`Stack with id ${stackName} does not exist`), {
    name: 'ValidationError',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

/** The CreateStack request of attempt `redriveCount`: its own token and attempt tag. */
export function createInputFor(redriveCount: number) {
  return {
    ...createInput,
    Tags: [
      { Key: 'tenant-id', Value: '2f1c9d3e' },
      { Key: attemptTagKey, Value: attemptTagValue(executionArn, redriveCount) },
    ],
    ClientRequestToken: clientRequestToken('create', executionArn, redriveCount, stackName),
  };
}

export const createInput = {
  StackName: stackName,
  TemplateURL: templateUrl,
  Parameters: [
    { ParameterKey: 'TenantId', ParameterValue: '2f1c9d3e' },
    { ParameterKey: 'Tier', ParameterValue: 'advanced' },
    { ParameterKey: 'Service0Image', ParameterValue: 'public.ecr.aws/nginx/nginx:1.27' },
  ],
  Tags: [
    { Key: 'tenant-id', Value: '2f1c9d3e' },
    { Key: 'tenant-orchestrator:attempt', Value: attemptTagValue(executionArn, 0) },
  ],
  Capabilities: ['CAPABILITY_IAM'],
  OnFailure: 'ROLLBACK',
  RoleARN: roleArn,
  ClientRequestToken: clientRequestToken('create', executionArn, 0, stackName),
};

/** The registry table: stack-operation slots. */
export const documents = mockClient(DynamoDBDocumentClient);

/** Every stack-operation slot free: acquire takes slot 0, release finds nothing to free. */
export function freeSlots(): void {
  documents.reset();
  documents
    .on(QueryCommand)
    .resolves({ Items: [] })
    .on(PutCommand)
    .resolves({})
    .on(UpdateCommand)
    .resolves({})
    .on(DeleteCommand)
    .resolves({});
}
