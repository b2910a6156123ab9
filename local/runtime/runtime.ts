/**
 * The embedded local runtime: the real state machine definitions and the real Lambda handlers,
 * run in this process against an embedded local cloud, with no AWS account and no Docker.
 *
 * Modelled:
 * - DynamoDB: dynalite on a free 127.0.0.1 port; the handlers' own client talks to it over HTTP
 *   (conditional writes, Powertools idempotency and all). Tables are created on open.
 * - CloudFormation, ELB v2 and ECS: the simulators of local/cloud (see local/cloud/index.ts for
 *   what they model), answering inside the handlers' singleton SDK clients through a middleware,
 *   with the SDK's own exception classes. Stacks create what the real tenant templates declare
 *   (`tenantTemplateModel`, wired in local/runtime/cloud-state.ts); the first stack of a template
 *   version on a machine synthesizes it (a few seconds), later ones read it from the disk cache.
 * - Step Functions: each execution runs the ASL on aws-local-stepfunctions with the real handlers
 *   as tasks; Wait states last `timings.waitMs`, and so do Retry intervals. StartExecution (the
 *   admission function's) is answered by the launcher as Step Functions does: a name already used
 *   by an execution of the state machine returns that execution while it runs with the same input
 *   and fails with ExecutionAlreadyExists otherwise; a name breaking Step Functions' rules fails
 *   with InvalidName. DescribeExecution, GetExecutionHistory and ListExecutions (newest first by
 *   stop date, statusFilter, pages) are answered from the runtime's executions. A failed execution
 *   emits the "Step Functions Execution Status Change" event (with its `redriveCount`) on the local
 *   bus, unless `dropStatusEvents` drops it (delivery is best effort). `redrive` resumes a failed
 *   execution at its failed state with that state's input, same ARN, RedriveCount + 1.
 * - Failure sweep: the real sweep-failures handler, run by `sweepFailures()` and, unless
 *   `sweepAfterFailures: false`, once after every failed execution (in place of its 5-minute schedule),
 *   before the execution counts as done.
 * - EventBridge: PutEvents entries go on a local bus whose rules are the deployed ones
 *   (requestEventPattern, failedExecutionEventPattern): requests from the simulated account
 *   (111122223333, the deployed rules' default) go to the real admission function, which
 *   starts their workflow with a sanitized input named after the event id;
 *   replies from the application plane reach the local control plane (`replies()`), failed
 *   executions reach the real failure reporter (retried twice like an asynchronous Lambda
 *   invocation). What no rule matches is kept (`undelivered()`). An admission whose StartExecution
 *   is refused (`startExecutionFailures`: throttled, or the executions quota) is invoked twice more
 *   with exponential backoff from `waitMs` (Lambda's asynchronous retries), then kept in a
 *   dead-letter queue (`deadLetters()`, saved at once) until `redriveDeadLetters()` hands it to
 *   the admission function again.
 * - Faults: a step's task throws `InjectedFault`, or runs and then times out (`Sandbox.Timedout`);
 *   an SDK call fails inside the real client with a client fault named `InjectedFault`, the
 *   service's throttling error or its 5xx, optionally only during one state; a stack's next
 *   create rolls back or its next delete fails (`failNextStackCreate`, `failNextStackDelete`); the
 *   next status events are not delivered (`dropStatusEvents`).
 * - Route listeners: `routeListeners: { count, capacity }` sets ROUTE_LISTENERS and the simulated
 *   load balancers alike.
 * - State: JSON files in the state folder (`.tenant-orchestrator/`), written on close and read
 *   on open; a lock file keeps two processes from using one folder at once (`readOnly` opens the
 *   state last saved without it, and saves nothing).
 *
 * Not modelled:
 * - Redrive's 14-day window and its ExecutionRedriven history event. (`replay` is another thing:
 *   a new execution with the same input from the first state, as when the request is sent again.)
 * - Execution timeouts (TimeoutSeconds), TIMED_OUT and ABORTED executions (StopExecution), status
 *   events for RUNNING and SUCCEEDED, Express workflows, execution and state input/output size
 *   limits, the event size limit that drops `input` from status events.
 * - SDK retries of errors the simulators or injected faults throw: both act before the SDK's retry
 *   middleware, so a throttling error reaches the adapter at once (one per step attempt).
 * - EventBridge: bus names are not checked, no archive/replay, the retry policy's 24 hours and the
 *   failure reporter rule's dead-letter queue (its undeliverable events are listed instead),
 *   targets get the event at once rather than with EventBridge's delay.
 * - Lambda: no timeouts (but for injected ones), memory or concurrency limits, the minutes
 *   between asynchronous retries (`waitMs`, doubling, instead); every function
 *   shares this process, its module state and its environment (read once, at the first import of
 *   each handler, so one route listener configuration per process).
 * - State is saved on close only (the dead-letter queue also whenever it changes): a process that
 *   is killed loses what it did since it opened.
 *   One runtime per process (the handlers' clients are process-wide singletons).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AdmitRequestOutput } from '../../functions/admit-request/handler.ts';
import {
  readContractConfig,
  readIdempotencyTableName,
  readRegistryTableName,
  readRouteListeners,
  readStackConfig,
} from '../../functions/shared/config/environment.ts';
import type { TenantRecord } from '../../functions/shared/registry/tenants.ts';
import type { LocalCloud } from '../cloud/index.ts';
import { createTables, recreateTables, startDynamoDb, type LocalDynamoDb } from '../dynamodb.ts';
import { loadDefinition, type WorkflowName } from '../workflow-runner.ts';
import type {
  DeadLetter,
  EmbeddedRuntime,
  LocalRuntimeOptions,
  ReceivedReply,
  RedrivenLetter,
  SendResult,
  UndeliveredEvent,
} from './api.ts';
import { envelope, LocalBus } from './bus.ts';
import { deliverRequest, followAdmission, invokeAdmission, runtimeRules, startRuleWorkflows } from './bus-rules.ts';
import { buildCloud, resourcesOf, saveCloud, type SavedCloud } from './cloud-state.ts';
import { applyLocalEnvironment } from './environment.ts';
import { ExecutionStore, summaryOf, type ExecutionRecord, type StateTypes } from './executions.ts';
import { createFailureSweeper } from './failure-sweep.ts';
import { FaultPlan } from './faults.ts';
import { scanItems, scanTenants } from './registry-view.ts';
import { configureRouteListeners, noteRouteListenersInForce } from './route-listeners.ts';
import { routeSdkCalls } from './sdk-routing.ts';
import { serviceAnswers } from './service-answers.ts';
import {
  clearState,
  lockState,
  readState,
  restoreTables,
  snapshotTables,
  StateFile,
  unlockState,
  writeState,
} from './state-folder.ts';
import { WorkflowLauncher } from './workflow-launcher.ts';

export type * from './api.ts';
export { stateFolderHolder } from './state-folder.ts';

/** Default simulated durations (ms): a lively demo, a couple of seconds per tenant. */
export const defaultTimings = { createMs: 1500, deleteMs: 1000, startMs: 500, waitMs: 200 } as const;

const workflows: readonly WorkflowName[] = ['onboarding', 'offboarding'];

/** The dead-letter queue's file in the state folder (written whenever the queue changes). */
const deadLettersFile = 'dead-letters.json';

/**
 * Invocations of the admission function for one request before it is dead-lettered: the first
 * and Lambda's two asynchronous retries, backing off from `timings.waitMs` (Lambda waits about a
 * minute, then two). https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */
const admissionAttempts = 3;

let openRuntime: string | undefined;

/**
 * Opens the local runtime on a state folder: starts DynamoDB, loads the saved state and routes
 * the handlers' AWS calls to it. One runtime per process at a time; `close()` it when done.
 */
export async function openLocalRuntime(options: LocalRuntimeOptions = {}): Promise<EmbeddedRuntime> {
  const stateDirectory = resolve(options.stateDirectory ?? '.tenant-orchestrator');
  if (openRuntime !== undefined)
    throw new Error(`A local runtime is already open in this process (on ${openRuntime}); close it first`);
  if (!options.readOnly) lockState(stateDirectory);
  openRuntime = stateDirectory;
  let dynamoDb: LocalDynamoDb | undefined;
  try {
    dynamoDb = await startDynamoDb();
    return await open(stateDirectory, dynamoDb, options);
  } catch (error) {
    routeSdkCalls(undefined, undefined);
    await dynamoDb?.close();
    openRuntime = undefined;
    if (!options.readOnly) unlockState(stateDirectory);
    throw error;
  }
}

async function open(
  stateDirectory: string,
  dynamoDb: LocalDynamoDb,
  options: LocalRuntimeOptions,
): Promise<EmbeddedRuntime> {
  const timings = { ...defaultTimings, ...options.timings };
  configureRouteListeners(options.routeListeners);
  applyLocalEnvironment(dynamoDb.endpoint);
  noteRouteListenersInForce();
  const contract = readContractConfig();
  const tables = { registry: readRegistryTableName(), idempotency: readIdempotencyTableName() };
  const listeners = readRouteListeners();
  const stackConfig = readStackConfig();
  const admin = new DynamoDBClient({
    endpoint: dynamoDb.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const documents = DynamoDBDocumentClient.from(admin);

  await createTables(dynamoDb.endpoint, tables);
  await restoreTables(admin, readState(stateDirectory, StateFile.tables) ?? {});
  const makeCloud = (saved?: SavedCloud) => buildCloud(listeners, stackConfig, timings, saved);
  let cloud: LocalCloud = makeCloud(readState<SavedCloud>(stateDirectory, StateFile.cloud));

  const definitions = Object.fromEntries(workflows.map((workflow) => [workflow, loadDefinition(workflow)]));
  const stateTypes = Object.fromEntries(
    workflows.map((workflow) => [
      workflow,
      Object.fromEntries(Object.entries(definitions[workflow]!.States).map(([name, state]) => [name, state.Type])),
    ]),
  ) as StateTypes;
  const executions = new ExecutionStore(stateTypes);
  executions.load(readState<ExecutionRecord[]>(stateDirectory, StateFile.executions) ?? []);
  const replies: ReceivedReply[] = readState<ReceivedReply[]>(stateDirectory, StateFile.replies) ?? [];
  const faults = new FaultPlan(
    Object.values(definitions).flatMap((definition) =>
      Object.entries(definition.States)
        .filter(([, state]) => state.Type === 'Task')
        .map(([name]) => name),
    ),
  );
  /** Which execution the code running now belongs to (handlers, their SDK calls, the reporter). */
  const current = new AsyncLocalStorage<{ executionArn: string }>();

  const sweeper = createFailureSweeper(current);
  /** The schedule's next run, after each bad ending. Its errors are its own logs' business (the deployed one alarms on them). */
  const sweepAfterFailure = async () => {
    await sweeper.sweep().catch(() => undefined);
  };

  const launcher = new WorkflowLauncher({
    executions,
    current,
    waitMs: timings.waitMs,
    faults,
    ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
    publish: (event) => bus.publish(event),
    ...(options.sweepAfterFailures === false ? {} : { afterFailure: sweepAfterFailure }),
  });
  const saveDeadLetters = (letters: readonly DeadLetter[]) =>
    options.readOnly ? undefined : writeState(stateDirectory, deadLettersFile, letters);
  const admissionRetries = { attempts: admissionAttempts, backoffMs: timings.waitMs };
  const bus: LocalBus = new LocalBus(runtimeRules({ contract, replies, current, admissionRetries }), {
    onDeadLettersChanged: saveDeadLetters,
  });
  bus.load(readState<UndeliveredEvent[]>(stateDirectory, StateFile.undelivered) ?? []);
  bus.loadDeadLetters(readState<DeadLetter[]>(stateDirectory, deadLettersFile) ?? []);
  routeSdkCalls(
    serviceAnswers(() => cloud, executions, launcher, bus),
    dynamoDb.endpoint,
  );

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
      if (options.readOnly) return;
      writeState(stateDirectory, StateFile.tables, await snapshotTables(admin, [tables.registry, tables.idempotency]));
      writeState(stateDirectory, StateFile.cloud, saveCloud(cloud));
      writeState(stateDirectory, StateFile.executions, executions.toJSON());
      writeState(stateDirectory, StateFile.replies, replies);
      writeState(stateDirectory, StateFile.undelivered, bus.undelivered());
      saveDeadLetters(bus.deadLetters());
    } finally {
      faults.clear();
      routeSdkCalls(undefined, undefined);
      admin.destroy();
      await dynamoDb.close();
      if (!options.readOnly) unlockState(stateDirectory);
      openRuntime = undefined;
    }
  }

  const find = (executionArn: string) => executions.find(executionArn);
  const deliver = (event: unknown, wait: boolean) => deliverRequest({ bus, replies, waitFor, find }, event, wait);

  return {
    stateDirectory,

    async send(event, sendOptions = {}): Promise<SendResult> {
      ensureOpen();
      const isObject = typeof event === 'object' && event !== null && !Array.isArray(event);
      return deliver(isObject ? envelope(event as Record<string, unknown>) : event, sendOptions.wait ?? false);
    },

    async redriveDeadLetters(redriveOptions = {}): Promise<RedrivenLetter[]> {
      ensureOpen();
      const redriven: RedrivenLetter[] = [];
      for (const letter of bus.deadLetters()) {
        const workflow = startRuleWorkflows.get(letter.rule);
        const before = replies.length;
        // The original event, id and time included: the execution is named after the id (so a request
        // that did start after all is recognised), and the accept step orders a tenant's requests by time.
        let admitted: AdmitRequestOutput;
        try {
          admitted = await invokeAdmission(letter.event);
        } catch {
          // Refused again: the letter stays, as the message stays in the queue for the next run.
          redriven.push({
            deadLetterId: letter.id,
            result: {
              ...(workflow !== undefined ? { workflow } : {}),
              replies: replies.slice(before),
              delivery: 'dead-lettered',
            },
          });
          continue;
        }
        bus.removeDeadLetter(letter.id);
        const followed = await followAdmission(
          { replies, waitFor, find },
          admitted.operation ?? workflow ?? 'onboarding',
          admitted,
          {
            wait: redriveOptions.wait ?? false,
            before,
            retried: false,
          },
        );
        redriven.push({ deadLetterId: letter.id, result: followed });
      }
      return redriven;
    },

    deadLetters: () => bus.deadLetters(),

    async replay(executionArn, replayOptions = {}) {
      ensureOpen();
      const original = executions.find(executionArn);
      if (!original) throw new Error(`No execution is named ${executionArn}`);
      if (original.status === 'RUNNING' || original.status === 'SUCCEEDED') {
        throw new Error(`Only a failed execution can be replayed; ${original.name} is ${original.status}`);
      }
      // A new execution with the same input, under a name of its own (the original keeps the event id's).
      const record = launcher.start(original.workflow, JSON.parse(original.input) as unknown, { replayOf: original });
      if (replayOptions.wait) await waitFor(record);
      return summaryOf(record);
    },

    async redrive(executionArn, redriveOptions = {}) {
      ensureOpen();
      const record = executions.find(executionArn);
      if (!record) throw new Error(`No execution is named ${executionArn}`);
      launcher.redrive(record);
      if (redriveOptions.wait) await waitFor(record);
      return summaryOf(record);
    },

    drain,
    injectFault: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    failNextStackCreate: (match, reason) => cloud.cloudFormation.failNextCreate(match, reason),
    failNextStackDelete: (match, reason) => cloud.cloudFormation.failNextDelete(match, reason),
    startExecutionFailures: (times, kind) => faults.failStarts(times, kind),
    dropStatusEvents: (times) => faults.dropStatusEvents(times),

    async sweepFailures() {
      ensureOpen();
      return sweeper.sweep();
    },

    async registryItems(): Promise<Record<string, unknown>[]> {
      ensureOpen();
      return scanItems(documents, tables.registry);
    },
    executions: () => executions.all().map(summaryOf),
    execution: (arnOrName) => {
      const record = executions.find(arnOrName);
      return record === undefined ? undefined : summaryOf(record);
    },
    history: (arnOrName) => [...(executions.find(arnOrName)?.history ?? [])],

    async tenants(): Promise<TenantRecord[]> {
      ensureOpen();
      return scanTenants(documents, tables.registry);
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
      bus.loadDeadLetters([]);
      clearState(stateDirectory);
      saveDeadLetters([]);
    },

    close: () => (closing ??= shutDown()),
  };
}
