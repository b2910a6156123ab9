/**
 * The rollout's Step Functions steps: starting and following executions, by StartExecution and
 * DescribeExecution (the local runner has no `.sync` integration, and polling keeps each wait a
 * Wait state, which costs nothing while it waits).
 *
 * In the rollout (statemachines/rollout.asl.json): `start-batch` / `check-batch` run a page of a
 * wave as a child execution of rollout-wave.asl.json and count its tenants' outcomes;
 * `start-rollback` / `check-rollback` do the same for the rollback of a halted wave's pages.
 * In the child: `start-tenant` starts one tenant's update as the admission function would
 * (functions/rollout/update-request.ts), unless the registry says to leave the tenant alone, and
 * `check-tenant` follows it to its end.
 *
 * Every execution is named after the rollout (progress.ts), so a retried step or a redriven
 * execution finds the one it started (StartExecution refuses a name twice) instead of starting another.
 */
import {
  readContractConfig,
  readRegistryTableName,
  readRolloutStateMachineArns,
} from '../shared/config/environment.ts';
import { describeExecution, executionArnOf, startExecution } from '../shared/aws/executions.ts';
import { createRegistry } from '../shared/registry/tenants.ts';
import { InvalidStepInputError, RolloutBatchFailedError } from '../shared/step/errors.ts';
import { appendTenantKeys, createLogger, stepHandler } from '../shared/step/handler.ts';
import { selectTenant } from '../rollout/plan.ts';
import {
  type BatchOutput,
  batchExecutionName,
  countBatch,
  countRollback,
  maxUpdateAttempts,
  pollWaitSeconds,
  type RollbackProgress,
  type RolloutMode,
  type RolloutState,
  type TenantResult,
  tenantExecutionName,
} from '../rollout/progress.ts';
import { onboardingRegistrationOf, rolloutUpdateInput } from '../rollout/update-request.ts';

const logger = createLogger('rollout-executions');
const registry = createRegistry(readRegistryTableName());
const stateMachines = readRolloutStateMachineArns();
const contract = readContractConfig();

/** One tenant of a child execution, as its Map iteration carries it. */
interface TenantItem {
  readonly rolloutId: string;
  readonly wave: number;
  readonly mode: RolloutMode;
  readonly model: string;
  readonly tenantId: string;
  /** The version to move the tenant to (the target, or for a rollback the one it had). */
  readonly version: string;
  readonly attempt?: number;
  readonly executionArn?: string;
  readonly previousVersion?: string;
  readonly polls?: number;
  /** What the child's Choice does next. */
  readonly step?: 'waiting' | 'retry' | 'done';
  readonly waitSeconds?: number;
  readonly result?: TenantResult;
}

type RolloutExecutionsEvent =
  | {
      readonly action: 'start-batch' | 'check-batch' | 'start-rollback' | 'check-rollback';
      readonly state: RolloutState;
    }
  | { readonly action: 'start-tenant' | 'check-tenant'; readonly tenant: TenantItem };

/** Execution statuses after which nothing more happens (a redrive would make it RUNNING again). */
const running = new Set(['RUNNING', 'PENDING_REDRIVE']);

const done = (item: TenantItem, result: TenantResult): TenantItem => ({ ...item, step: 'done', result });

async function startTenant(item: TenantItem): Promise<TenantItem> {
  appendTenantKeys(logger, { tenantId: item.tenantId });
  const record = await registry.getTenant(item.tenantId);
  if (record === undefined) return done(item, { tenantId: item.tenantId, outcome: 'skipped', reason: 'not-selected' });
  // A rollback returns a tenant this rollout moved, pinned since or not.
  const selection = selectTenant(item.mode === 'rollback' ? { ...record, pinned: false } : record, {
    model: item.model,
    version: item.version,
  });
  if (selection.kind === 'on-target') return done(item, { tenantId: item.tenantId, outcome: 'unchanged' });
  if (selection.kind !== 'update')
    return done(item, {
      tenantId: item.tenantId,
      outcome: 'skipped',
      reason: selection.kind === 'skipped' ? selection.reason : 'not-selected',
    });
  if (item.mode === 'rollback' && !lastMovedByThisRollout(item, record.lastCompletion?.executionArn)) {
    // Another operation (a newer rollout, an update request) finished on this tenant after this rollout
    // updated it: rolling it back would undo that work, so the rollback leaves it where it is.
    logger.info('Tenant not rolled back: another operation changed it since this rollout updated it', {
      rolloutId: item.rolloutId,
      lastExecution: record.lastCompletion?.executionArn,
    });
    return done(item, { tenantId: item.tenantId, outcome: 'skipped', reason: 'not-selected' });
  }
  const registrationId = onboardingRegistrationOf(record);
  if (registrationId === undefined)
    return done(item, { tenantId: item.tenantId, outcome: 'skipped', reason: 'not-onboarded' });
  const attempt = item.attempt ?? 1;
  const name = tenantExecutionName(item.rolloutId, item.tenantId, item.wave, item.mode, attempt);
  const input = rolloutUpdateInput(
    contract,
    { tenantId: item.tenantId, registrationId, templateVersion: item.version },
    name,
    new Date(),
  );
  const started = await startExecution({ stateMachineArn: stateMachines.update, name, input: JSON.stringify(input) });
  logger.info('Tenant update started', {
    rolloutId: item.rolloutId,
    wave: item.wave,
    mode: item.mode,
    attempt,
    executionArn: started.executionArn,
    outcome: started.outcome,
  });
  const previousVersion = item.previousVersion ?? record.plan?.templateVersion;
  return {
    ...item,
    attempt,
    executionArn: started.executionArn,
    ...(previousVersion !== undefined ? { previousVersion } : {}),
    polls: 0,
    step: 'waiting',
    waitSeconds: pollWaitSeconds(0),
  };
}

/**
 * True when the tenant's latest completed operation is this rollout's own update of it in this wave
 * (any attempt), or an earlier attempt of this rollback: only then is a rollback still its to make.
 */
function lastMovedByThisRollout(item: TenantItem, lastExecutionArn: string | undefined): boolean {
  const last = lastExecutionArn?.split(':').at(-1);
  if (last === undefined) return false;
  for (let attempt = 1; attempt <= maxUpdateAttempts; attempt += 1)
    for (const mode of ['update', 'rollback'] as const)
      if (tenantExecutionName(item.rolloutId, item.tenantId, item.wave, mode, attempt) === last) return true;
  return false;
}

/** Another attempt when one is left, else the tenant failed with `error`. */
function retryOrFail(item: TenantItem, error: string): TenantItem {
  const attempt = item.attempt ?? 1;
  if (attempt < maxUpdateAttempts) {
    const { executionArn: _arn, polls: _polls, waitSeconds: _wait, ...rest } = item;
    return { ...rest, attempt: attempt + 1, step: 'retry' };
  }
  return done(item, { tenantId: item.tenantId, outcome: 'failed', error });
}

async function checkTenant(item: TenantItem): Promise<TenantItem> {
  appendTenantKeys(logger, { tenantId: item.tenantId });
  if (item.executionArn === undefined) throw new InvalidStepInputError('check-tenant needs the update execution');
  const execution = await describeExecution(item.executionArn);
  if (execution === undefined) throw new InvalidStepInputError(`no execution ${item.executionArn}`);
  if (running.has(execution.status)) {
    const polls = (item.polls ?? 0) + 1;
    return { ...item, polls, step: 'waiting', waitSeconds: pollWaitSeconds(polls) };
  }
  if (execution.status === 'SUCCEEDED') {
    const record = await registry.getTenant(item.tenantId);
    if (record?.plan?.templateVersion === item.version)
      return done(item, {
        tenantId: item.tenantId,
        outcome: 'updated',
        ...(item.previousVersion !== undefined ? { previousVersion: item.previousVersion } : {}),
      });
    // Succeeded without moving the tenant: the same registration's update was already running (a
    // duplicate: the rollout's updates use the tenant's onboarding registration, like the control
    // plane's), or a newer request superseded it. While another operation holds the tenant, look
    // again later; once it let go, try again (an update that finds the tenant on the version is quick).
    if (record?.lock !== undefined) {
      const polls = (item.polls ?? 0) + 1;
      return { ...item, polls, step: 'waiting', waitSeconds: pollWaitSeconds(polls) };
    }
    return retryOrFail(item, 'NotOnVersion');
  }
  const error = execution.error ?? execution.status;
  logger.info('Tenant update did not succeed', { executionArn: item.executionArn, status: execution.status, error });
  return error === 'TenantBusy'
    ? retryOrFail(item, error)
    : done(item, { tenantId: item.tenantId, outcome: 'failed', error });
}

/** A child execution of this rollout, by its name. */
const childArn = (name: string) => executionArnOf(stateMachines.rolloutWave, name);

/** The results of a child execution that succeeded; throws when it ended otherwise. */
async function childResults(executionArn: string): Promise<TenantResult[] | 'running'> {
  const execution = await describeExecution(executionArn);
  if (execution === undefined) throw new InvalidStepInputError(`no execution ${executionArn}`);
  if (running.has(execution.status)) return 'running';
  if (execution.status !== 'SUCCEEDED' || execution.output === undefined)
    throw new RolloutBatchFailedError(
      `${executionArn} ended ${execution.status}${execution.error !== undefined ? ` (${execution.error})` : ''}: redrive it, then redrive this rollout`,
    );
  return [...(JSON.parse(execution.output) as BatchOutput).results];
}

async function startBatch(state: RolloutState): Promise<RolloutState> {
  const { rollout, wave, batch } = state;
  if (wave === undefined || batch?.tenantIds === undefined)
    throw new InvalidStepInputError('start-batch needs a batch');
  const name = batchExecutionName(rollout.rolloutId, wave.wave, batch.batch, 'update');
  const input = {
    rolloutId: rollout.rolloutId,
    wave: wave.wave,
    batch: batch.batch,
    mode: 'update',
    model: rollout.model,
    concurrency: rollout.concurrency,
    tenants: batch.tenantIds.map((tenantId) => ({ tenantId, version: rollout.version })),
  };
  const started = await startExecution({
    stateMachineArn: stateMachines.rolloutWave,
    name,
    input: JSON.stringify(input),
  });
  logger.info('Wave batch started', {
    rolloutId: rollout.rolloutId,
    wave: wave.wave,
    batch: batch.batch,
    executionArn: started.executionArn,
  });
  return {
    ...state,
    batch: {
      batch: batch.batch,
      executionArn: started.executionArn,
      polls: 0,
      waitSeconds: pollWaitSeconds(0),
      done: false,
    },
  };
}

async function checkBatch(state: RolloutState): Promise<RolloutState> {
  const { wave, batch } = state;
  if (wave === undefined || batch?.executionArn === undefined)
    throw new InvalidStepInputError('check-batch needs a running batch');
  const results = await childResults(batch.executionArn);
  if (results === 'running') {
    const polls = (batch.polls ?? 0) + 1;
    return { ...state, batch: { ...batch, polls, waitSeconds: pollWaitSeconds(polls) } };
  }
  const counted = countBatch(wave, results);
  logger.info('Wave batch done', {
    rolloutId: state.rollout.rolloutId,
    wave: wave.wave,
    batch: batch.batch,
    updated: counted.updated,
    failed: counted.failed,
    halt: counted.halt,
  });
  return { ...state, wave: counted, batch: { batch: batch.batch, done: true } };
}

const noRollback: RollbackProgress = {
  nextBatch: 1,
  running: false,
  rolledBack: 0,
  failed: 0,
  failedTenants: [],
  done: false,
};

async function startRollback(state: RolloutState): Promise<RolloutState> {
  const { rollout, wave } = state;
  if (wave === undefined) throw new InvalidStepInputError('start-rollback needs a wave');
  const rollback = state.rollback ?? noRollback;
  for (let batch = rollback.nextBatch; batch <= wave.batches; batch += 1) {
    const results = await childResults(childArn(batchExecutionName(rollout.rolloutId, wave.wave, batch, 'update')));
    if (results === 'running') throw new InvalidStepInputError(`batch ${batch} of wave ${wave.wave} is still running`);
    const tenants = results.flatMap((result) =>
      result.outcome === 'updated' && result.previousVersion !== undefined
        ? [{ tenantId: result.tenantId, version: result.previousVersion }]
        : [],
    );
    if (tenants.length === 0) continue;
    const started = await startExecution({
      stateMachineArn: stateMachines.rolloutWave,
      name: batchExecutionName(rollout.rolloutId, wave.wave, batch, 'rollback'),
      input: JSON.stringify({
        rolloutId: rollout.rolloutId,
        wave: wave.wave,
        batch,
        mode: 'rollback',
        model: rollout.model,
        concurrency: rollout.concurrency,
        tenants,
      }),
    });
    logger.info('Wave rollback started', {
      rolloutId: rollout.rolloutId,
      wave: wave.wave,
      batch,
      tenants: tenants.length,
    });
    return {
      ...state,
      rollback: {
        ...rollback,
        nextBatch: batch,
        running: true,
        executionArn: started.executionArn,
        polls: 0,
        waitSeconds: pollWaitSeconds(0),
      },
    };
  }
  const { executionArn: _arn, polls: _polls, waitSeconds: _wait, ...rest } = rollback;
  return { ...state, rollback: { ...rest, running: false, nextBatch: wave.batches + 1, done: true } };
}

async function checkRollback(state: RolloutState): Promise<RolloutState> {
  const { rollback } = state;
  if (rollback?.executionArn === undefined) throw new InvalidStepInputError('check-rollback needs a running rollback');
  const results = await childResults(rollback.executionArn);
  if (results === 'running') {
    const polls = (rollback.polls ?? 0) + 1;
    return { ...state, rollback: { ...rollback, polls, waitSeconds: pollWaitSeconds(polls) } };
  }
  const { executionArn: _arn, polls: _polls, waitSeconds: _wait, ...rest } = countRollback(rollback, results);
  return { ...state, rollback: { ...rest, running: false, nextBatch: rollback.nextBatch + 1 } };
}

export const handler = stepHandler(
  logger,
  async (event: RolloutExecutionsEvent): Promise<RolloutState | TenantItem> => {
    switch (event.action) {
      case 'start-tenant':
        return startTenant(event.tenant);
      case 'check-tenant':
        return checkTenant(event.tenant);
      case 'start-batch':
        return startBatch(event.state);
      case 'check-batch':
        return checkBatch(event.state);
      case 'start-rollback':
        return startRollback(event.state);
      case 'check-rollback':
        return checkRollback(event.state);
      default:
        throw new InvalidStepInputError(
          `rollout-executions has no action ${String((event as { action?: unknown }).action)}`,
        );
    }
  },
);
