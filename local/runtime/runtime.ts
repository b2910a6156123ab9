/**
 * The embedded local runtime: the real state machine definitions and the real Lambda handlers,
 * run in this process against an embedded local cloud, with no AWS account and no Docker. What it
 * models and what it does not, in one list: docs/local-runtime.md; each behaviour is described,
 * with the AWS page it follows, beside its model in the modules this one wires together.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { workflowOfOperation } from '../../events/contract.ts';
import type { AdmitRequestOutput } from '../../functions/admit-request/handler.ts';
import {
  maxStackDriftChecksPerRun,
  readCloudFormationRoleArn,
  readContractConfig,
  readIdempotencyTableName,
  readRegistryTableName,
  readRouteListeners,
  readStackConfig,
} from '../../functions/shared/config/environment.ts';
import { findDrift } from '../../functions/reconcile/findings.ts';
import { readSnapshot } from '../../functions/reconcile/snapshot.ts';
import { repairFindings } from '../../functions/reconcile/repair.ts';
import { startDriftChecks, stacksToCheck } from '../../functions/reconcile/stack-drift.ts';
import { setTenantPinned } from '../../functions/shared/registry/pins.ts';
import type { TenantRecord } from '../../functions/shared/registry/tenants.ts';
import { TemplateOutput } from '../../functions/shared/config/template-parameters.ts';
import type { LocalCloud } from '../cloud/index.ts';
import { createTables, recreateTables, startDynamoDb, type LocalDynamoDb } from '../dynamodb.ts';
import { sendTaskFailure, sendTaskHeartbeat, sendTaskSuccess } from '../task-tokens.ts';
import {
  allLocalWorkflows,
  loadDefinition,
  localStateMachineArn,
  statesOf,
  type LocalWorkflow,
} from '../workflow-runner.ts';
import { AlarmSimulator } from '../cloud/alarms.ts';
import type {
  DeadLetter,
  EmbeddedRuntime,
  FleetEvent,
  LocalRuntimeOptions,
  ReceivedReply,
  RedrivenLetter,
  SendResult,
  UndeliveredEvent,
} from './api.ts';
import { DriftError } from './api.ts';
import { envelope, LocalBus } from './bus.ts';
import { deliverRequest, followAdmission, invokeAdmission, runtimeRules, startRuleWorkflows } from './bus-rules.ts';
import { buildCloud, resourcesOf, routeAnswerOf, saveCloud, type SavedCloud } from './cloud-state.ts';
import { applyLocalEnvironment } from './environment.ts';
import { ExecutionStore, summaryOf, type ExecutionRecord, type StateTypes } from './executions.ts';
import { createFailureSweeper } from './failure-sweep.ts';
import { FaultPlan } from './faults.ts';
import { scanItems, scanTenants } from './registry-view.ts';
import { backfillTenantList } from '../../functions/shared/registry/tenant-list.ts';
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
import { CloudEventSource } from './cloud-events.ts';
import { WorkflowLauncher } from './workflow-launcher.ts';

export type * from './api.ts';
export { stateFolderHolder } from './state-folder.ts';

/** Default simulated durations (ms): a lively demo, a couple of seconds per tenant. */
const defaultTimings = { createMs: 1500, deleteMs: 1000, startMs: 500, waitMs: 200 } as const;

const workflows: readonly LocalWorkflow[] = allLocalWorkflows;

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
  // A state folder of an earlier release holds tenant records without the tenant list's keys: list them,
  // as `index-tenants --aws` does after an upgrade in AWS (functions/shared/registry/tenant-list.ts).
  await backfillTenantList(tables.registry, new Date(), documents);
  const makeCloud = (saved?: SavedCloud) => buildCloud(listeners, stackConfig, timings, saved);
  let cloud: LocalCloud = makeCloud(readState<SavedCloud>(stateDirectory, StateFile.cloud));

  const definitions = Object.fromEntries(workflows.map((workflow) => [workflow, loadDefinition(workflow)]));
  const stateTypes = Object.fromEntries(
    workflows.map((workflow) => [
      workflow,
      Object.fromEntries(statesOf(definitions[workflow]!).map(([name, state]) => [name, state.Type])),
    ]),
  ) as StateTypes;
  const executions = new ExecutionStore(stateTypes);
  executions.load(readState<ExecutionRecord[]>(stateDirectory, StateFile.executions) ?? []);
  const replies: ReceivedReply[] = readState<ReceivedReply[]>(stateDirectory, StateFile.replies) ?? [];
  const faults = new FaultPlan(
    Object.values(definitions).flatMap((definition) =>
      statesOf(definition)
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
    awaitMs: timings.awaitMs ?? timings.waitMs,
    faults,
    ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
    publish: (event) => bus.publish(event),
    ...(options.sweepAfterFailures === false ? {} : { afterFailure: sweepAfterFailure }),
  });
  const saveDeadLetters = (letters: readonly DeadLetter[]) =>
    options.readOnly ? undefined : writeState(stateDirectory, deadLettersFile, letters);
  const admissionRetries = { attempts: admissionAttempts, backoffMs: timings.waitMs };
  const fleetEvents: FleetEvent[] = [];
  const alarms = new AlarmSimulator();
  const bus: LocalBus = new LocalBus(runtimeRules({ contract, replies, current, admissionRetries, fleetEvents }), {
    onDeadLettersChanged: saveDeadLetters,
  });
  bus.load(readState<UndeliveredEvent[]>(stateDirectory, StateFile.undelivered) ?? []);
  bus.loadDeadLetters(readState<DeadLetter[]>(stateDirectory, deadLettersFile) ?? []);
  routeSdkCalls(
    serviceAnswers(() => cloud, executions, launcher, bus, alarms),
    dynamoDb.endpoint,
  );
  const cloudEvents = new CloudEventSource(
    () => cloud,
    (event) => bus.publish(event),
    // Looks as often as a Wait state ends (within 5 to 25 ms): an event is never the slow part locally.
    { pollMs: Math.min(25, Math.max(5, timings.waitMs)), ...options.cloudEvents },
  );
  // What the saved cloud holds already happened: only changes from now on are reported.
  cloudEvents.reset();
  cloudEvents.start();

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
  const reconcileSnapshot = () =>
    readSnapshot({
      registryTableName: tables.registry,
      listeners: readRouteListeners(),
      stackNamePrefix: readStackConfig().stackNamePrefix,
    });
  /** Waits for running executions, saves the state and stops DynamoDB. */
  async function shutDown(): Promise<void> {
    await drain();
    cloudEvents.stop();
    await cloudEvents.idle();
    await bus.idle();
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
          (admitted.operation !== undefined ? workflowOfOperation[admitted.operation] : undefined) ??
            workflow ??
            'onboarding',
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

    sendTaskSuccess: (taskToken, output) => void sendTaskSuccess({ taskToken, output }),
    sendTaskFailure: (taskToken, error, cause) =>
      void sendTaskFailure({
        taskToken,
        ...(error !== undefined ? { error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      }),
    sendTaskHeartbeat: (taskToken) => void sendTaskHeartbeat({ taskToken }),
    drain,
    injectFault: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    failNextStackCreate: (match, reason) => cloud.cloudFormation.failNextCreate(match, reason),
    failNextStackDelete: (match, reason) => cloud.cloudFormation.failNextDelete(match, reason),
    failNextStackUpdate: (match, reason, updateOptions = {}) =>
      cloud.cloudFormation.failNextUpdate(match, reason, {
        ...(updateOptions.rollbackFailureReason !== undefined
          ? { rollbackFailureReason: updateOptions.rollbackFailureReason }
          : {}),
      }),
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

    async pinTenant(tenantId, pinned) {
      ensureOpen();
      return setTenantPinned(tables.registry, tenantId, pinned, new Date());
    },

    async driftTenant(tenantId, change) {
      ensureOpen();
      const record = (await scanTenants(documents, tables.registry)).find((tenant) => tenant.tenantId === tenantId);
      if (record === undefined || record.status === 'DELETED') throw new DriftError(`no live tenant ${tenantId}`);
      const stackName = record.plan?.stacks[0]?.stackName;
      const stack =
        stackName === undefined
          ? undefined
          : cloud.cloudFormation.describeStacks({}).Stacks?.find((s) => s.StackName === stackName);
      const output = (key: string) => stack?.Outputs?.find((entry) => entry.OutputKey === key)?.OutputValue;
      switch (change) {
        case 'delete-rule': {
          const ruleArn = record.route?.ruleArn ?? output(TemplateOutput.listenerRuleArn);
          if (ruleArn === undefined) throw new DriftError(`tenant ${tenantId} has no listener rule`);
          cloud.elb.deleteRule({ RuleArn: ruleArn });
          return [`deleted rule ${ruleArn}`];
        }
        case 'delete-stack': {
          if (stackName === undefined || stack === undefined) throw new DriftError(`tenant ${tenantId} has no stack`);
          cloud.cloudFormation.deleteStack({ StackName: stackName });
          return [`deleting stack ${stackName}`];
        }
        case 'scale-to-zero': {
          const clusterName = output(TemplateOutput.clusterName);
          const names = (output(TemplateOutput.serviceNames) ?? '').split(',').filter((name) => name !== '');
          if (clusterName === undefined || names.length === 0)
            throw new DriftError(
              `tenant ${tenantId} has no services of its own (a pool tenant shares the pooled ones)`,
            );
          for (const name of names) cloud.ecs.scaleService(clusterName, name, 0);
          return names.map((name) => `scaled ${clusterName}/${name} to 0 outside its stack`);
        }
      }
    },

    async reconcile() {
      ensureOpen();
      return findDrift(await reconcileSnapshot());
    },

    async detectStackDrift() {
      ensureOpen();
      return (await startDriftChecks(stacksToCheck(await reconcileSnapshot(), maxStackDriftChecksPerRun))).length;
    },

    async repairDrift() {
      ensureOpen();
      const snapshot = await reconcileSnapshot();
      return repairFindings(snapshot, findDrift(snapshot), {
        registryTableName: tables.registry,
        cloudFormationRoleArn: readCloudFormationRoleArn(),
        runId: randomUUID(),
        now: new Date(),
      });
    },

    async startRollout(input, rolloutOptions = {}) {
      ensureOpen();
      const started = launcher.startExecution({
        stateMachineArn: localStateMachineArn('rollout'),
        name: input.rolloutId,
        input: JSON.stringify(input),
      });
      const record = executions.find(started.executionArn ?? '');
      if (record === undefined) throw new Error(`the rollout ${input.rolloutId} did not start`);
      if (rolloutOptions.wait) await waitFor(record);
      return summaryOf(record);
    },
    executionOutput: (arnOrName) => {
      const output = executions.find(arnOrName)?.output;
      return output === undefined ? undefined : (JSON.parse(output) as unknown);
    },
    fleetEvents: () => [...fleetEvents],
    setAlarmState: (alarmName, state) => alarms.setAlarmState(alarmName, state),

    replies: () => [...replies],
    undelivered: () => bus.undelivered(),
    resources: () => resourcesOf(cloud),
    routeAnswer: (listenerArn, request) => routeAnswerOf(cloud, listenerArn, request),

    async reset() {
      ensureOpen();
      await drain();
      await recreateTables(dynamoDb.endpoint, tables);
      await backfillTenantList(tables.registry, new Date(), documents);
      cloud = makeCloud();
      cloudEvents.reset();
      executions.clear();
      replies.splice(0);
      fleetEvents.splice(0);
      alarms.clear();
      bus.load([]);
      bus.loadDeadLetters([]);
      clearState(stateDirectory);
      saveDeadLetters([]);
    },

    configureCloudEvents: (eventOptions) => {
      cloudEvents.configure(eventOptions);
      cloudEvents.start();
    },
    cloudEventCounts: () => cloudEvents.counts(),
    nextCloudChangeAt: () => {
      const times = [cloud.cloudFormation.nextChangeAt(), cloud.ecs.nextChangeAt()].filter(
        (time): time is number => time !== undefined,
      );
      return times.length === 0 ? undefined : Math.min(...times);
    },

    close: () => (closing ??= shutDown()),
  };
}
