import 'aws-sdk-client-mock-vitest/extend';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { historyEntries } from '../../../../cli/aws/read-model.ts';
import { runAwsCommand, type AwsCommand } from '../../../../cli/aws/commands.ts';
import { printTenants } from '../../../../cli/commands.ts';
import { createOutput } from '../../../../cli/context.ts';
import { ExitCode } from '../../../../cli/exit-codes.ts';
import type { TenantRecord } from '../../../../functions/shared/registry/tenants.ts';
import { awsClients } from './clients.fixture.ts';

const cloudFormation = mockClient(CloudFormationClient);
const stepFunctions = mockClient(SFNClient);
const documents = mockClient(DynamoDBDocumentClient);

const clients = awsClients;

const account = '111122223333';
const stateMachine = (name: string) => `arn:aws:states:eu-west-1:${account}:stateMachine:${name}`;
const execution = (machine: string, name: string) => `arn:aws:states:eu-west-1:${account}:execution:${machine}:${name}`;
const outputs = {
  RegistryTableName: 'TenantOrchestrator-Registry',
  EventBusName: 'sbt-control-plane',
  OnboardingStateMachineArn: stateMachine('onboarding-sm'),
  OffboardingStateMachineArn: stateMachine('offboarding-sm'),
};

const tenant: TenantRecord = {
  tenantId: 't-1',
  tenantName: 'Acme',
  tier: 'basic',
  status: 'ACTIVE',
  completed: {},
  version: 3,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:01:00.000Z',
};

function capture() {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const output = createOutput(
    { write: (text: string) => stdout.push(text), isTTY: false },
    { write: (text: string) => stderr.push(text), isTTY: false },
    { NO_COLOR: '1' },
  );
  return { context: { output, tenantNames: new Map<string, string>(), program: 'npm -s start --' }, stdout, stderr };
}

async function run(command: AwsCommand) {
  const captured = capture();
  const code = await runAwsCommand(captured.context, command, clients);
  return { code, stdout: captured.stdout.join(''), stderr: captured.stderr.join('') };
}

const target = { stack: 'TenantOrchestrator', region: 'eu-west-1' };

beforeEach(() => {
  cloudFormation.reset();
  stepFunctions.reset();
  documents.reset();
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'TenantOrchestrator',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
  documents.on(ScanCommand).resolves({ Items: [{ pk: 'TENANT#t-1', sk: 'TENANT', ...tenant }] });
});

describe('setup problems: one line, exit 2', () => {
  it('names a stack that does not exist, and the region', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));

    const { code, stdout, stderr } = await run({ kind: 'tenants', json: false, aws: { ...target, stack: 'Nope' } });

    expect(code).toBe(ExitCode.usage);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      'error: stack Nope does not exist in eu-west-1: deploy it (docs/deploy.md), or pass --stack NAME and --region',
    ]);
  });

  it('says there are no credentials instead of printing the SDK error', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      );

    const { code, stderr } = await run({ kind: 'executions', json: true, aws: target });

    expect(code).toBe(ExitCode.usage);
    expect(stderr).toMatch(/^error: no AWS credentials found: set AWS_PROFILE/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('says AWS cannot be reached when the endpoint does not resolve (offline, a proxy, a wrong region)', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('getaddrinfo ENOTFOUND cloudformation.eu-west-1.amazonaws.com'), {
        name: 'Error',
        code: 'ENOTFOUND',
      }),
    );

    const { code, stderr } = await run({ kind: 'tenants', json: false, aws: target });

    expect(code).toBe(ExitCode.usage);
    expect(stderr.trim()).toBe(
      'error: cannot reach AWS in eu-west-1 (ENOTFOUND: cloudformation.eu-west-1.amazonaws.com): check the network, a proxy, or --region',
    );
  });

  it("refuses a stack that is not the orchestrator's, naming the outputs it lacks", async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'Other', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: [] }],
    });

    const { code, stderr } = await run({ kind: 'tenants', json: false, aws: { ...target, stack: 'Other' } });

    expect(code).toBe(ExitCode.usage);
    expect(stderr).toMatch(
      /stack Other has no RegistryTableName, EventBusName, .* outputs: is it the orchestrator's stack\?/,
    );
  });

  it('lets an error that is not about the setup through (exit 3 comes from the caller)', async () => {
    documents.on(ScanCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' }));

    await expect(run({ kind: 'tenants', json: false, aws: target })).rejects.toThrow('boom');
  });
});

describe('tenants --aws', () => {
  it('prints what the local listing prints for the same records, read from the stack registry table', async () => {
    const local = capture();
    printTenants(local.context, [tenant], false);

    const { code, stdout } = await run({ kind: 'tenants', json: false, aws: target });

    expect(code).toBe(ExitCode.ok);
    expect(stdout).toBe(local.stdout.join(''));
    expect(documents).toHaveReceivedCommandWith(ScanCommand, {
      TableName: 'TenantOrchestrator-Registry',
      ConsistentRead: true,
    });
  });

  it('--json prints the same document as the local listing', async () => {
    const local = capture();
    printTenants(local.context, [tenant], true);

    const { stdout } = await run({ kind: 'tenants', json: true, aws: target });

    expect(JSON.parse(stdout)).toEqual(JSON.parse(local.stdout.join('')));
  });
});

const at = (second: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, second));

function described(machine: string, name: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    executionArn: execution(machine, name),
    stateMachineArn: stateMachine(machine),
    name,
    status,
    startDate: at(0),
    ...(status === 'RUNNING' ? {} : { stopDate: at(30) }),
    input: JSON.stringify({ detail: { tenantId: 't-1', tenantRegistrationId: `r-${name}` } }),
    ...extra,
  };
}

const entered = (name: string, second: number): HistoryEvent => ({
  id: second,
  timestamp: at(second),
  type: 'TaskStateEntered',
  stateEnteredEventDetails: { name },
});

describe('executions --aws', () => {
  beforeEach(() => {
    stepFunctions
      .on(ListExecutionsCommand, { stateMachineArn: stateMachine('onboarding-sm') })
      .resolves({
        executions: ['ok', 'lost', 'dup', 'broken', 'busy'].map((name) => ({
          executionArn: execution('onboarding-sm', name),
          stateMachineArn: stateMachine('onboarding-sm'),
          name,
          status: 'SUCCEEDED',
          startDate: at(0),
        })),
      })
      .on(ListExecutionsCommand, { stateMachineArn: stateMachine('offboarding-sm') })
      .resolves({ executions: [] });
    const byName: Record<string, ReturnType<typeof described>> = {
      ok: described('onboarding-sm', 'ok', 'SUCCEEDED'),
      lost: described('onboarding-sm', 'lost', 'SUCCEEDED'),
      dup: described('onboarding-sm', 'dup', 'SUCCEEDED'),
      broken: described('onboarding-sm', 'broken', 'FAILED', {
        error: 'StackTimeout',
        cause: 'the stack did not finish',
        redriveCount: 1,
      }),
      busy: described('onboarding-sm', 'busy', 'RUNNING'),
    };
    const lastStates: Record<string, string[]> = {
      ok: ['ActivateTenant', 'SendProvisionSuccess', 'TenantOnboarded'],
      lost: ['AcceptOnboardingRequest', 'Superseded'],
      dup: ['AcceptOnboardingRequest', 'IsDuplicateRequest', 'IgnoreDuplicateRequest'],
      broken: ['CreateTenantStacks', 'CheckTenantStacks'],
    };
    for (const [name, output] of Object.entries(byName)) {
      stepFunctions.on(DescribeExecutionCommand, { executionArn: output.executionArn }).resolves(output as never);
      stepFunctions
        .on(GetExecutionHistoryCommand, { executionArn: output.executionArn })
        .resolves({ events: (lastStates[name] ?? []).map((state, index) => entered(state, index)).reverse() });
    }
  });

  it('lists both workflows with status, tenant, where a run failed, and how a success ended', async () => {
    const { code, stdout } = await run({ kind: 'executions', json: true, aws: target });

    expect(code).toBe(ExitCode.ok);
    const { executions } = JSON.parse(stdout) as { executions: Record<string, unknown>[] };
    const byName = Object.fromEntries(executions.map((view) => [view.name, view]));
    expect(Object.keys(byName).sort()).toEqual(['broken', 'busy', 'dup', 'lost', 'ok']);
    expect(byName.ok).toMatchObject({
      status: 'SUCCEEDED',
      tenantId: 't-1',
      registrationId: 'r-ok',
      transitions: null,
    });
    expect(byName.lost).toMatchObject({ status: 'SUPERSEDED' });
    expect(byName.broken).toMatchObject({
      status: 'FAILED',
      failedState: 'CheckTenantStacks',
      error: 'StackTimeout',
      cause: 'the stack did not finish',
    });
    expect(byName.busy).toMatchObject({ status: 'RUNNING', stoppedAt: null, failedState: null });
    // A running execution's history is not read: it has no end yet.
    expect(stepFunctions).not.toHaveReceivedCommandWith(GetExecutionHistoryCommand, {
      executionArn: execution('onboarding-sm', 'busy'),
    });
    expect(stepFunctions).toHaveReceivedCommandWith(GetExecutionHistoryCommand, {
      executionArn: execution('onboarding-sm', 'ok'),
      reverseOrder: true,
    });
  });

  it('shows the tenant by name, no step count, and the duplicate note in the table', async () => {
    const { stdout } = await run({ kind: 'executions', json: false, aws: target });

    const line = (name: string) => stdout.split('\n').find((row) => row.startsWith(`${name} `)) ?? '';
    expect(line('dup')).toMatch(/onboarding +Acme +SUCCEEDED .* - +\(duplicate request: no reply\)/);
    expect(line('broken')).toMatch(/FAILED .*CheckTenantStacks: StackTimeout/);
  });
});

describe('history --aws', () => {
  const name = 'run-7';
  const arn = execution('offboarding-sm', name);
  const events: HistoryEvent[] = [
    { id: 1, timestamp: at(0), type: 'ExecutionStarted' },
    entered('AcceptOffboardingRequest', 1),
    { id: 3, timestamp: at(2), type: 'LambdaFunctionScheduled' },
    {
      id: 4,
      timestamp: at(3),
      type: 'LambdaFunctionFailed',
      lambdaFunctionFailedEventDetails: { error: 'TenantBusy', cause: 'tenant t-1 is busy' },
    },
    { id: 5, timestamp: at(5), type: 'LambdaFunctionScheduled' },
    { id: 6, timestamp: at(6), type: 'LambdaFunctionSucceeded' },
    { id: 7, timestamp: at(7), type: 'TaskStateExited', stateExitedEventDetails: { name: 'AcceptOffboardingRequest' } },
    entered('DeleteTenantStacks', 8),
    { id: 9, timestamp: at(9), type: 'LambdaFunctionScheduled' },
    {
      id: 10,
      timestamp: at(10),
      type: 'LambdaFunctionTimedOut',
      lambdaFunctionTimedOutEventDetails: { error: 'States.Timeout' },
    },
    {
      id: 11,
      timestamp: at(11),
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'States.Timeout', cause: 'the task timed out' },
    },
  ];

  it('maps the Step Functions history: a retried attempt, a final failure, the execution failure', () => {
    expect(historyEntries(events)).toEqual([
      { type: 'StateEntered', at: at(1).getTime(), state: 'AcceptOffboardingRequest' },
      {
        type: 'StateRetried',
        at: at(3).getTime(),
        state: 'AcceptOffboardingRequest',
        error: 'TenantBusy',
        cause: 'tenant t-1 is busy',
      },
      { type: 'StateExited', at: at(7).getTime(), state: 'AcceptOffboardingRequest' },
      { type: 'StateEntered', at: at(8).getTime(), state: 'DeleteTenantStacks' },
      { type: 'StateFailed', at: at(10).getTime(), state: 'DeleteTenantStacks', error: 'States.Timeout' },
      { type: 'ExecutionFailed', at: at(11).getTime(), error: 'States.Timeout', cause: 'the task timed out' },
    ]);
  });

  it('finds an execution by name in whichever workflow has it and prints its history', async () => {
    stepFunctions
      .on(DescribeExecutionCommand, { executionArn: execution('onboarding-sm', name) })
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }))
      .on(DescribeExecutionCommand, { executionArn: arn })
      .resolves(
        described('offboarding-sm', name, 'FAILED', { error: 'States.Timeout', cause: 'the task timed out' }) as never,
      )
      .on(GetExecutionHistoryCommand, { executionArn: arn })
      .resolves({ events })
      // The mock answers with the last matching definition: the newest-first read is defined after.
      .on(GetExecutionHistoryCommand, { executionArn: arn, reverseOrder: true })
      .resolves({ events: [...events].reverse() });

    const { code, stdout } = await run({ kind: 'history', execution: name, json: false, aws: target });

    expect(code).toBe(ExitCode.ok);
    expect(stdout).toMatch(/^run-7 {2}offboarding of Acme {2}FAILED\n/);
    expect(stdout).toMatch(/StateRetried +AcceptOffboardingRequest +TenantBusy: tenant t-1 is busy/);
    expect(stdout).toMatch(/failed at DeleteTenantStacks: States.Timeout - the task timed out/);
  });

  it('answers an unknown execution in one line with exit 2', async () => {
    stepFunctions
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    const { code, stdout, stderr } = await run({ kind: 'history', execution: 'nope', json: true, aws: target });

    expect(code).toBe(ExitCode.usage);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe(
      'error: no execution named nope in stack TenantOrchestrator (see: npm -s start -- executions --aws)',
    );
  });
});

describe('pin --aws', () => {
  it('sets the flag on the stack registry with a conditional write that only a live tenant passes', async () => {
    documents.on(UpdateCommand).resolves({});

    const { code, stdout } = await run({ kind: 'pin', tenant: 't-1', aws: target });

    expect(code).toBe(ExitCode.ok);
    expect(stdout).toBe('pinned t-1\n');
    expect(documents).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'TenantOrchestrator-Registry',
      Key: { pk: 'TENANT#t-1', sk: 'TENANT' },
      ConditionExpression: 'attribute_exists(pk) AND #status <> :deleted',
      ExpressionAttributeValues: expect.objectContaining({ ':pinned': true, ':deleted': 'DELETED' }),
    });
  });

  it('refuses an unknown or offboarded tenant in one line with exit 2, writing nothing else', async () => {
    const refused = Object.assign(new Error('The conditional request failed'), {
      name: 'ConditionalCheckFailedException',
    });
    documents.on(UpdateCommand).rejects(refused);
    documents.on(GetCommand).resolves({});

    const unknown = await run({ kind: 'unpin', tenant: 'nobody', aws: target });
    expect(unknown).toMatchObject({ code: ExitCode.usage, stdout: '' });
    expect(unknown.stderr.trim()).toBe('error: no tenant nobody in stack TenantOrchestrator');

    documents.on(GetCommand).resolves({ Item: { pk: 'TENANT#gone', sk: 'TENANT', status: 'DELETED' } });
    const gone = await run({ kind: 'pin', tenant: 'gone', aws: target });
    expect(gone.stderr.trim()).toBe('error: tenant gone was offboarded: there is nothing to pin');
    expect(documents).toHaveReceivedCommandTimes(UpdateCommand, 2);
  });
});

describe('index-tenants --aws', () => {
  it("lists the stack registry's unlisted tenant records with their keys, then marks the list complete", async () => {
    documents.on(ScanCommand).resolves({
      Items: [{ pk: 'TENANT#t-1', sk: 'TENANT', tenantId: 't-1', createdAt: '2026-12-01T10:00:00.000Z' }],
    });
    documents
      .on(UpdateCommand)
      .resolves({})
      .on(UpdateCommand, { Key: { pk: 'REGISTRY', sk: 'TENANT_LIST' } })
      .resolves({ Attributes: { readyAt: '2026-12-05T00:00:00.000Z' } });

    const { code, stdout } = await run({ kind: 'index-tenants', aws: target });

    expect(code).toBe(ExitCode.ok);
    expect(stdout).toBe(
      'put 1 tenant record of earlier releases on the tenant list of TenantOrchestrator; the list is complete since 2026-12-05T00:00:00.000Z\n',
    );
    expect(documents).toHaveReceivedCommandWith(ScanCommand, {
      TableName: 'TenantOrchestrator-Registry',
      FilterExpression: 'sk = :tenant AND attribute_not_exists(#partition)',
    });
    expect(documents).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: 'TENANT#t-1', sk: 'TENANT' },
      ExpressionAttributeValues: expect.objectContaining({
        ':partition': 'TENANT',
        ':order': '2026-12-01T10:00:00.000Z#t-1',
      }),
    });
  });
});
