/**
 * Workflow test harness: the real ASL and the real handlers, with DynamoDB served by dynalite
 * (the registry's conditional writes are the point) and every other AWS client mocked with
 * aws-sdk-client-mock, backed by the local cloud simulator so the mocks behave like the services.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { readRouteListeners, readStackConfig } from '../../functions/shared/config/environment.ts';
import { createLocalCloud } from '../../local/cloud/index.ts';
import { tenantTemplateModel } from '../../local/cloud/template-model.ts';
import { recreateTables, startDynamoDb, type LocalDynamoDb } from '../../local/dynamodb.ts';
import {
  lambdaContext,
  loadHandler,
  localStateMachineArn,
  runWorkflow,
  type WorkflowName,
  type WorkflowResult,
} from '../../local/workflow-runner.ts';

export interface Harness {
  readonly cloud: ReturnType<typeof createLocalCloud>;
  /** Every event put on the bus (replies), parsed. */
  readonly replies: { detailType: string; source: string; detail: Record<string, any> }[];
  readonly mocks: {
    cloudFormation: ReturnType<typeof mockClient>;
    elb: ReturnType<typeof mockClient>;
    ecs: ReturnType<typeof mockClient>;
    eventBridge: ReturnType<typeof mockClient>;
    sfn: ReturnType<typeof mockClient>;
  };
  /** Runs a workflow; a failed run is reported by the real failure reporter, as EventBridge would. */
  run(workflow: WorkflowName, event: unknown): Promise<WorkflowResult>;
  /** The next PutEvents call fails with this error (then the bus works again). */
  rejectNextPutEvents(error: Error): void;
  /** Starts a run and returns without waiting (for concurrency tests). */
  start(workflow: WorkflowName, event: unknown): Promise<WorkflowResult>;
  close(): Promise<void>;
}

let dynamoDb: LocalDynamoDb | undefined;

interface ExecutionRecord {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  input: string;
  result?: WorkflowResult;
}

/** Starts dynalite, creates the tables and wires the mocks to a fresh simulated cloud. */
export async function startHarness(
  options: { createMs?: number; deleteMs?: number; startMs?: number } = {},
): Promise<Harness> {
  // One dynalite per test file: the SDK clients are process-wide singletons bound to its endpoint.
  dynamoDb ??= await startDynamoDb();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDb.endpoint;
  await recreateTables(dynamoDb.endpoint, {
    registry: process.env.TENANT_REGISTRY_TABLE ?? '',
    idempotency: process.env.IDEMPOTENCY_TABLE ?? '',
  });

  const cloud = createLocalCloud({
    // What a tenant stack creates comes from the real synthesized templates.
    model: tenantTemplateModel(),
    createMs: options.createMs ?? 0,
    deleteMs: options.deleteMs ?? 0,
    startMs: options.startMs ?? 0,
    listeners: readRouteListeners().map((listener) => ({
      listenerArn: listener.listenerArn,
      quota: listener.capacity,
    })),
    sharedClusters: [readStackConfig().sharedParameters.SharedClusterName ?? ''],
  });

  const cloudFormation = mockClient(CloudFormationClient);
  cloudFormation.on(CreateStackCommand).callsFake((input) => cloud.cloudFormation.createStack(input));
  cloudFormation.on(DescribeStacksCommand).callsFake((input) => cloud.cloudFormation.describeStacks(input));
  cloudFormation.on(DescribeStackEventsCommand).callsFake((input) => cloud.cloudFormation.describeStackEvents(input));
  cloudFormation.on(DeleteStackCommand).callsFake((input) => cloud.cloudFormation.deleteStack(input));

  const elb = mockClient(ElasticLoadBalancingV2Client);
  elb.on(CreateRuleCommand).callsFake((input) => cloud.elb.createRule(input));
  elb.on(DescribeRulesCommand).callsFake((input) => cloud.elb.describeRules(input));
  elb.on(DeleteRuleCommand).callsFake((input) => cloud.elb.deleteRule(input));
  elb.on(DescribeTagsCommand).callsFake((input) => cloud.elb.describeTags(input));

  const ecs = mockClient(ECSClient);
  ecs.on(DescribeServicesCommand).callsFake((input) => cloud.ecs.describeServices(input));

  const replies: Harness['replies'] = [];
  const putEventsFaults: Error[] = [];
  const eventBridge = mockClient(EventBridgeClient);
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => {
    const fault = putEventsFaults.shift();
    if (fault) throw fault;
    const entries = input.Entries ?? [];
    for (const entry of entries) {
      replies.push({
        detailType: entry.DetailType ?? '',
        source: entry.Source ?? '',
        detail: JSON.parse(entry.Detail ?? '{}'),
      });
    }
    return {
      FailedEntryCount: 0,
      Entries: entries.map((_, index) => ({ EventId: `event-${replies.length - entries.length + index}` })),
    };
  });

  const executions = new Map<string, ExecutionRecord>();
  const sfn = mockClient(SFNClient);
  sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
    const record = executions.get(input.executionArn);
    if (!record)
      throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${input.executionArn}'`, $metadata: {} });
    return { executionArn: input.executionArn, status: record.status, input: record.input };
  });
  sfn.on(GetExecutionHistoryCommand).callsFake((input: { executionArn: string }) => {
    const history = executions.get(input.executionArn)?.result?.history ?? [];
    const entered = history.filter((entry) => entry.type === 'StateEntered').reverse();
    return {
      events: entered.map((entry, index) => ({
        id: index + 1,
        type: 'TaskStateEntered',
        timestamp: new Date(entry.at),
        stateEnteredEventDetails: { name: entry.state },
      })),
    };
  });

  async function reportFailure(workflow: WorkflowName, result: WorkflowResult, input: string): Promise<void> {
    const reporter = await loadHandler('report-failure');
    const stopDate = Date.now();
    await reporter(
      {
        version: '0',
        id: `status-${stopDate}`,
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        account: '111122223333',
        time: new Date(stopDate).toISOString(),
        region: 'us-east-1',
        resources: [result.executionArn],
        detail: {
          executionArn: result.executionArn,
          stateMachineArn: localStateMachineArn(workflow),
          name: result.executionArn.split(':').pop(),
          status: 'FAILED',
          startDate: stopDate - 1,
          stopDate,
          input,
          inputDetails: { included: true },
          output: null,
          outputDetails: null,
          error: result.error ?? null,
          cause: result.cause ?? null,
        },
      },
      lambdaContext('tenant-orchestrator-report-failure'),
    );
  }

  async function start(workflow: WorkflowName, event: unknown): Promise<WorkflowResult> {
    const input = JSON.stringify(event);
    const result = await runWorkflow(workflow, event, {
      onStart: (arn) => {
        executions.set(arn, { status: 'RUNNING', input });
      },
    });
    executions.set(result.executionArn, { status: result.status, input, result });
    if (result.status === 'FAILED') await reportFailure(workflow, result, input);
    return result;
  }

  return {
    cloud,
    replies,
    mocks: { cloudFormation, elb, ecs, eventBridge, sfn },
    run: start,
    start,
    rejectNextPutEvents: (error) => putEventsFaults.push(error),
    async close() {
      for (const mock of [cloudFormation, elb, ecs, eventBridge, sfn]) mock.restore();
    },
  };
}
