/**
 * The embedded local runtime: the real state machine definitions and the real Lambda handlers,
 * run in this process against an embedded local cloud, with no AWS account and no Docker.
 *
 * Modelled:
 * - DynamoDB: dynalite on a free 127.0.0.1 port; the handlers' own client talks to it over HTTP
 *   (conditional writes, Powertools idempotency and all). Tables are created on open.
 * - CloudFormation, ELB v2 and ECS: the simulators of local/cloud (see local/cloud/index.ts for
 *   what they model), answering inside the handlers' singleton SDK clients through a middleware,
 *   with the SDK's own exception classes.
 * - Step Functions: each execution runs the ASL on aws-local-stepfunctions with the real handlers
 *   as tasks; Wait states last `timings.waitMs`, and so do Retry intervals. DescribeExecution and
 *   GetExecutionHistory are answered from the runtime's executions. A failed execution emits the
 *   "Step Functions Execution Status Change" event on the local bus.
 * - EventBridge: PutEvents entries go on a local bus whose rules are the deployed ones
 *   (requestEventPattern, failedExecutionEventPattern): requests start their workflow with the
 *   whole event as input, replies from the application plane reach the local control plane
 *   (`replies()`), failed executions reach the real failure reporter (retried twice like an
 *   asynchronous Lambda invocation). What no rule matches is kept (`undelivered()`).
 * - Faults: a step's task throws `InjectedFault`, or an SDK call fails inside the real client
 *   with a client fault named `InjectedFault`.
 * - State: JSON files in the state folder (`.tenant-orchestrator/`), written on close and read
 *   on open; a lock file keeps two processes from using one folder at once.
 *
 * Not modelled:
 * - Redrive: `replay` starts a new execution with the same input from the first state (the
 *   steps' idempotency makes it converge, which is what a redrive relies on too).
 * - Execution timeouts (TimeoutSeconds), TIMED_OUT and ABORTED executions (StopExecution), status
 *   events for RUNNING and SUCCEEDED, Express workflows, execution and state input/output size
 *   limits, the event size limit that drops `input` from status events.
 * - SDK retries of errors the simulators throw: answers are given before the SDK's retry
 *   middleware, so a throttling error injected in a simulator reaches the adapter at once.
 * - EventBridge: bus names are not checked, no archive/replay, no dead-letter queue (undelivered
 *   events are listed instead), targets get the event at once rather than with EventBridge's delay.
 * - Lambda: no timeouts, memory or concurrency limits; every function shares this process, its
 *   module state and its environment (read once, at the first import of each handler).
 * - State is saved on close only: a process that is killed loses what it did since it opened.
 *   One runtime per process (the handlers' clients are process-wide singletons).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { requestEventPattern } from '../../events/contract.ts';
import { failedExecutionEventPattern } from '../../events/execution-status.ts';
import {
  readContractConfig,
  readIdempotencyTableName,
  readRegistryTableName,
  readRouteListeners,
  readStackConfig,
} from '../../functions/shared/config.ts';
import type { TenantRecord } from '../../functions/shared/registry.ts';
import type { LocalCloud } from '../cloud/index.ts';
import { createTables, recreateTables, startDynamoDb, type LocalDynamoDb } from '../dynamodb.ts';
import { lambdaContext, loadDefinition, loadHandler, localStateMachineArn, type WorkflowName } from '../workflow-runner.ts';
import type { ExecutionSummary, LocalRuntime, LocalRuntimeOptions, ReceivedReply, SendResult, UndeliveredEvent } from './api.ts';
import { envelope, LocalBus, type BusEvent } from './bus.ts';
import { buildCloud, resourcesOf, saveCloud, type SavedCloud } from './cloud-state.ts';
import { applyLocalEnvironment } from './environment.ts';
import { ExecutionStore, summaryOf, type ExecutionRecord, type StateTypes } from './executions.ts';
import { FaultPlan } from './faults.ts';
import { routeSdkCalls } from './sdk-routing.ts';
import { serviceAnswers } from './service-answers.ts';
import { clearState, lockState, readState, restoreTables, snapshotTables, StateFile, unlockState, writeState } from './state-folder.ts';
import { WorkflowLauncher } from './workflow-launcher.ts';

export type * from './api.ts';

/** Default simulated durations (ms): a lively demo, a couple of seconds per tenant. */
export const defaultTimings = { createMs: 1500, deleteMs: 1000, startMs: 500, waitMs: 200 } as const;

const workflows: readonly WorkflowName[] = ['onboarding', 'offboarding'];

let openRuntime: string | undefined;

/**
 * Opens the local runtime on a state folder: starts DynamoDB, loads the saved state and routes
 * the handlers' AWS calls to it. One runtime per process at a time; `close()` it when done.
 */
export async function openLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const stateDirectory = resolve(options.stateDirectory ?? '.tenant-orchestrator');
  if (openRuntime !== undefined) throw new Error(`A local runtime is already open in this process (on ${openRuntime}); close it first`);
  lockState(stateDirectory);
  openRuntime = stateDirectory;
  let dynamoDb: LocalDynamoDb | undefined;
  try {
    dynamoDb = await startDynamoDb();
    return await open(stateDirectory, dynamoDb, options);
  } catch (error) {
    routeSdkCalls(undefined, undefined);
    await dynamoDb?.close();
    openRuntime = undefined;
    unlockState(stateDirectory);
    throw error;
  }
}

async function open(stateDirectory: string, dynamoDb: LocalDynamoDb, options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const timings = { ...defaultTimings, ...options.timings };
  applyLocalEnvironment(dynamoDb.endpoint);
  const contract = readContractConfig();
  const tables = { registry: readRegistryTableName(), idempotency: readIdempotencyTableName() };
  const listeners = readRouteListeners();
  const stackConfig = readStackConfig();
  const admin = new DynamoDBClient({ endpoint: dynamoDb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const documents = DynamoDBDocumentClient.from(admin);

  await createTables(dynamoDb.endpoint, tables);
  await restoreTables(admin, readState(stateDirectory, StateFile.tables) ?? {});
  const makeCloud = (saved?: SavedCloud) => buildCloud(listeners, stackConfig, timings, saved);
  let cloud: LocalCloud = makeCloud(readState<SavedCloud>(stateDirectory, StateFile.cloud));

  const definitions = Object.fromEntries(workflows.map((workflow) => [workflow, loadDefinition(workflow)]));
  const stateTypes = Object.fromEntries(
    workflows.map((workflow) => [workflow, Object.fromEntries(Object.entries(definitions[workflow]!.States).map(([name, state]) => [name, state.Type]))]),
  ) as StateTypes;
  const executions = new ExecutionStore(stateTypes);
  executions.load(readState<ExecutionRecord[]>(stateDirectory, StateFile.executions) ?? []);
  const replies: ReceivedReply[] = readState<ReceivedReply[]>(stateDirectory, StateFile.replies) ?? [];
  const faults = new FaultPlan(
    Object.values(definitions).flatMap((definition) => Object.entries(definition.States).filter(([, state]) => state.Type === 'Task').map(([name]) => name)),
  );
  /** Which execution the code running now belongs to (handlers, their SDK calls, the reporter). */
  const current = new AsyncLocalStorage<{ executionArn: string }>();

  const launcher = new WorkflowLauncher({
    executions,
    current,
    waitMs: timings.waitMs,
    faults,
    ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
    publish: (event) => bus.publish(event),
  });
  const startRule = (workflow: WorkflowName) => ({
    name: `start-${workflow}`,
    pattern: requestEventPattern(contract, workflow),
    target: (event: BusEvent) => launcher.start(workflow, event),
  });
  const bus: LocalBus = new LocalBus([
    startRule('onboarding'),
    startRule('offboarding'),
    {
      name: 'control-plane-replies',
      pattern: { source: [contract.applicationPlaneSource] },
      target: (event) => {
        const executionArn = current.getStore()?.executionArn;
        replies.push({
          receivedAt: new Date().toISOString(),
          source: event.source,
          detailType: event['detail-type'],
          detail: event.detail,
          ...(executionArn !== undefined ? { executionArn } : {}),
        });
      },
    },
    {
      name: 'report-failed-executions',
      pattern: failedExecutionEventPattern(workflows.map(localStateMachineArn)),
      target: (event) =>
        current.run({ executionArn: String(event.detail.executionArn) }, async () =>
          (await loadHandler('report-failure'))(event, lambdaContext('tenant-orchestrator-report-failure')),
        ),
    },
  ]);
  bus.load(readState<UndeliveredEvent[]>(stateDirectory, StateFile.undelivered) ?? []);
  routeSdkCalls(serviceAnswers(() => cloud, executions, bus), dynamoDb.endpoint);

  async function drain(): Promise<void> {
    while (launcher.pending().length > 0 || bus.pending > 0) {
      await Promise.allSettled(launcher.pending());
      await bus.idle();
    }
  }
  async function waitFor(record: ExecutionRecord): Promise<void> {
    await launcher.done(record.executionArn);
  }
  let closing: Promise<void> | undefined;
  const ensureOpen = () => {
    if (closing) throw new Error('The local runtime is closed');
  };
  /** Waits for running executions, saves the state and stops DynamoDB. */
  async function shutDown(): Promise<void> {
    await drain();
    try {
      writeState(stateDirectory, StateFile.tables, await snapshotTables(admin, [tables.registry, tables.idempotency]));
      writeState(stateDirectory, StateFile.cloud, saveCloud(cloud));
      writeState(stateDirectory, StateFile.executions, executions.toJSON());
      writeState(stateDirectory, StateFile.replies, replies);
      writeState(stateDirectory, StateFile.undelivered, bus.undelivered());
    } finally {
      faults.clear();
      routeSdkCalls(undefined, undefined);
      admin.destroy();
      await dynamoDb.close();
      unlockState(stateDirectory);
      openRuntime = undefined;
    }
  }

  return {
    stateDirectory,

    async send(event, sendOptions = {}): Promise<SendResult> {
      ensureOpen();
      const before = replies.length;
      const publication = bus.publish(typeof event === 'object' && event !== null && !Array.isArray(event) ? envelope(event as Record<string, unknown>) : event);
      const started = publication.deliveries.map((delivery) => delivery.result).find((result): result is ExecutionRecord => isExecution(result));
      if (!started) return { replies: replies.slice(before) };
      if (sendOptions.wait) await waitFor(started);
      const arrived = sendOptions.wait ? replies.filter((reply) => reply.executionArn === started.executionArn) : replies.slice(before);
      return { workflow: started.workflow, execution: summaryOf(started), replies: arrived };
    },

    async replay(executionArn, replayOptions = {}) {
      ensureOpen();
      const original = executions.find(executionArn);
      if (!original) throw new Error(`No execution is named ${executionArn}`);
      if (original.status === 'RUNNING' || original.status === 'SUCCEEDED') {
        throw new Error(`Only a failed execution can be replayed; ${original.name} is ${original.status}`);
      }
      const record = launcher.start(original.workflow, JSON.parse(original.input) as unknown, original.executionArn);
      if (replayOptions.wait) await waitFor(record);
      return summaryOf(record);
    },

    drain,
    injectFault: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    executions: () => executions.all().map(summaryOf),
    execution: (arnOrName) => {
      const record = executions.find(arnOrName);
      return record === undefined ? undefined : summaryOf(record);
    },
    history: (arnOrName) => [...(executions.find(arnOrName)?.history ?? [])],

    async tenants(): Promise<TenantRecord[]> {
      ensureOpen();
      const tenants: TenantRecord[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new ScanCommand({ TableName: tables.registry, FilterExpression: 'sk = :tenant', ExpressionAttributeValues: { ':tenant': 'TENANT' }, ConsistentRead: true, ExclusiveStartKey }),
        );
        tenants.push(...((page.Items ?? []) as TenantRecord[]));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey !== undefined);
      return tenants.map(({ pk: _pk, sk: _sk, ...tenant }: TenantRecord & { pk?: string; sk?: string }) => tenant).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },

    replies: () => [...replies],
    undelivered: () => bus.undelivered(),
    resources: () => resourcesOf(cloud),

    async reset() {
      ensureOpen();
      await drain();
      await recreateTables(dynamoDb.endpoint, tables);
      cloud = makeCloud();
      executions.clear();
      replies.splice(0);
      bus.load([]);
      clearState(stateDirectory);
    },

    close: () => (closing ??= shutDown()),
  };
}

function isExecution(value: unknown): value is ExecutionRecord {
  return typeof value === 'object' && value !== null && 'executionArn' in value && 'workflow' in value;
}
