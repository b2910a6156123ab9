/**
 * The rollout workflow's state and the pure rules that move it (statemachines/rollout.asl.json and
 * rollout-wave.asl.json): what a rollout execution carries from step to step, how a wave takes its
 * tenants page by page, how the tenants' outcomes add up, when a wave halts, what the executions
 * it starts are named, how long it waits between looks, and what its wave event says.
 *
 * The state stays small whatever the fleet: counts, a cursor into the registry, at most one page
 * of tenant ids ({@link tenantsPerBatch}) and short lists capped by {@link listedTenantsLimit}.
 *
 * Pure: no I/O, no environment, no logging.
 */
import { createHash } from 'node:crypto';
import { listedWaveTenantsLimit, type RolloutWaveDetail } from '../../events/fleet-events.ts';
import type { RegistryCursor } from '../shared/registry/tenant-pages.ts';
import type { FailureThreshold, SkippedTenant, SkipReason, WaveSize } from './plan.ts';
import { toleratedFailures } from './plan.ts';

/**
 * Tenants in one child execution of a wave (a batch): the most the rollout's Map runs at once, so
 * a batch never waits on itself. Its history stays far below Step Functions' 25,000 events: docs/operate.md
 * ("How far it scales") gives the arithmetic. 20, not 25: a page's worst case (its tenants one after
 * another, each through two attempts of the update workflow's longest run) must end within Step Functions'
 * one-year limit (infra/fleet-workflow-budget.ts), and 25 no longer does since the update's timeout grew.
 */
export const tenantsPerBatch = 20;

/** Tenant ids (with their reason or error) an event or the rollout's output lists; counts cover all. */
export const listedTenantsLimit = listedWaveTenantsLimit;

/** Attempts of one tenant's update: a second one when the first ended without moving the tenant (busy, superseded). */
export const maxUpdateAttempts = 2;

/** Longest wait between two looks at an execution, in seconds (a rollout runs for hours; a look is cheap, not free). */
const maxPollWaitSeconds = 900;
const firstPollWaitSeconds = 30;

/** Seconds to wait after `polls` looks at an execution: 30, 60, 120, 240, 480, then 900. */
export function pollWaitSeconds(polls: number): number {
  return Math.min(maxPollWaitSeconds, firstPollWaitSeconds * 2 ** Math.max(0, polls));
}

/** Whether a child execution moves tenants forward (`update`) or back to the version each had (`rollback`). */
export type RolloutMode = 'update' | 'rollback';

/** The rollout execution's input: what `rollout` asks for. */
export interface RolloutInput {
  /** Names the rollout and every execution it starts (1-40 of `A-Za-z0-9-`). */
  readonly rolloutId: string;
  readonly model: string;
  readonly version: string;
  readonly tier?: string;
  readonly tenantIds?: readonly string[];
  readonly waves: readonly WaveSize[];
  readonly concurrency: number;
  readonly maxFailures: FailureThreshold;
  readonly bakeSeconds: number;
  /** CloudWatch alarms that must not be in ALARM at a wave's health gate. */
  readonly alarmNames: readonly string[];
}

/** What the plan step found, over every page of the registry. */
export interface RolloutPlanSummary {
  /** Tenants each wave updates. */
  readonly waveSizes: readonly number[];
  readonly toUpdate: number;
  readonly alreadyOnTarget: number;
  readonly skipped: number;
  /** The first {@link listedTenantsLimit} skipped tenants. */
  readonly skippedListed: readonly SkippedTenant[];
}

/** A tenant that failed, and the error its update ended with. */
export interface FailedTenant {
  readonly tenantId: string;
  readonly error: string;
}

/** One wave as it runs. */
export interface WaveProgress {
  /** 1-based. */
  readonly wave: number;
  /** Tenants the plan gave this wave. */
  readonly size: number;
  /** More failed tenants than this halts the rollout. */
  readonly tolerated: number;
  /** Tenants taken into batches so far. */
  readonly taken: number;
  /** Batches started so far (each a child execution). */
  readonly batches: number;
  /** Where the next batch's page starts (absent: at the start of the registry). */
  readonly cursor?: RegistryCursor;
  /** True once the registry has no more pages. */
  readonly exhausted: boolean;
  readonly updated: number;
  readonly unchanged: number;
  readonly skipped: number;
  readonly failed: number;
  readonly failedTenants: readonly FailedTenant[];
  /** True once more tenants failed than the wave tolerates: the rollout halts and rolls the wave back. */
  readonly halt: boolean;
}

/** The batch the rollout is on: its ids until the child starts, then the child's execution. */
export interface BatchProgress {
  readonly batch: number;
  readonly tenantIds?: readonly string[];
  readonly executionArn?: string;
  readonly polls?: number;
  readonly waitSeconds?: number;
  /** True once the child execution succeeded and its outcomes are counted. */
  readonly done?: boolean;
}

/** A tenant whose services were not stable at the gate. */
export interface UnstableTenant {
  readonly tenantId: string;
  readonly detail: string;
}

/** The health gate after a wave's bake: batch by batch (one invocation may not reach the end), then the alarms. */
export interface GateProgress {
  /** The next batch whose updated tenants are checked. */
  readonly nextBatch: number;
  readonly checkedTenants: number;
  readonly unstable: number;
  readonly unstableListed: readonly UnstableTenant[];
  readonly alarmsInAlarm: readonly string[];
  readonly done: boolean;
  readonly healthy?: boolean;
}

/** Rolling a halted wave back, batch by batch. */
export interface RollbackProgress {
  /** The next batch of the wave whose updated tenants are rolled back. */
  readonly nextBatch: number;
  /** True while a rollback child runs (its ARN in `executionArn`). */
  readonly running: boolean;
  readonly executionArn?: string;
  readonly polls?: number;
  readonly waitSeconds?: number;
  readonly rolledBack: number;
  readonly failed: number;
  readonly failedTenants: readonly FailedTenant[];
  readonly done: boolean;
}

/** Why a wave halted the rollout. */
export type HaltReason = 'failures' | 'gate';

/** The result of one finished wave, as the rollout's output lists it. */
export interface WaveResult {
  readonly wave: number;
  readonly outcome: 'completed' | 'halted';
  readonly reason?: HaltReason;
  readonly updated: number;
  readonly unchanged: number;
  readonly skipped: number;
  readonly failed: number;
  readonly rolledBack?: number;
}

/** The rollout execution's state between steps. */
export interface RolloutState {
  readonly rollout: RolloutInput;
  readonly plan?: RolloutPlanSummary;
  readonly wave?: WaveProgress;
  readonly batch?: BatchProgress;
  readonly gate?: GateProgress;
  readonly rollback?: RollbackProgress;
  readonly results?: readonly WaveResult[];
  /** What comes next, read by the workflow's Choice states. */
  readonly next?: 'wave' | 'complete' | 'halted';
  /** Set when the rollout ends. */
  readonly outcome?: 'completed' | 'halted';
}

/** The first wave's (or a later wave's) progress, continuing from where the previous wave's pages stopped. */
export function startWave(
  plan: RolloutPlanSummary,
  threshold: FailureThreshold,
  wave: number,
  from?: Pick<WaveProgress, 'cursor' | 'exhausted'>,
): WaveProgress {
  const size = plan.waveSizes[wave - 1] ?? 0;
  return {
    wave,
    size,
    tolerated: toleratedFailures(threshold, size),
    taken: 0,
    batches: 0,
    ...(from?.cursor !== undefined ? { cursor: from.cursor } : {}),
    exhausted: from?.exhausted ?? false,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    failed: 0,
    failedTenants: [],
    halt: false,
  };
}

/** How many tenants the next batch of `wave` takes (0: the wave has all it needs, or the registry ended). */
export function nextBatchSize(wave: WaveProgress): number {
  if (wave.exhausted) return 0;
  return Math.max(0, Math.min(tenantsPerBatch, wave.size - wave.taken));
}

/** What one tenant's part of a child execution ended with. */
export interface TenantResult {
  readonly tenantId: string;
  /**
   * `updated`: on the version asked for now, by this rollout's update; `unchanged`: it already
   * was; `skipped`: left alone (pinned, suspended, a tier change in flight, offboarded...); `failed`: its update failed.
   */
  readonly outcome: 'updated' | 'unchanged' | 'skipped' | 'failed';
  /** `updated` only: the version it had before, which a rollback returns it to. */
  readonly previousVersion?: string;
  readonly reason?: SkipReason | 'not-selected';
  /** `failed` only: the error its update ended with. */
  readonly error?: string;
}

/** The output of a child execution (rollout-wave.asl.json). */
export interface BatchOutput {
  readonly rolloutId: string;
  readonly wave: number;
  readonly batch: number;
  readonly mode: RolloutMode;
  readonly results: readonly TenantResult[];
}

/** Counts a batch's outcomes into its wave. */
export function countBatch(wave: WaveProgress, results: readonly TenantResult[]): WaveProgress {
  const count = (outcome: TenantResult['outcome']) => results.filter((result) => result.outcome === outcome).length;
  const failedTenants = results
    .filter((result) => result.outcome === 'failed')
    .map((result) => ({ tenantId: result.tenantId, error: result.error ?? 'unknown' }));
  const failed = wave.failed + count('failed');
  return {
    ...wave,
    updated: wave.updated + count('updated'),
    unchanged: wave.unchanged + count('unchanged'),
    skipped: wave.skipped + count('skipped'),
    failed,
    failedTenants: [...wave.failedTenants, ...failedTenants].slice(0, listedTenantsLimit),
    halt: failed > wave.tolerated,
  };
}

/** Counts a rollback batch's outcomes. A tenant whose rollback found it already back counts as rolled back. */
export function countRollback(rollback: RollbackProgress, results: readonly TenantResult[]): RollbackProgress {
  const failed = results.filter((result) => result.outcome === 'failed');
  return {
    ...rollback,
    rolledBack:
      rollback.rolledBack +
      results.filter((result) => result.outcome === 'updated' || result.outcome === 'unchanged').length,
    failed: rollback.failed + failed.length,
    failedTenants: [
      ...rollback.failedTenants,
      ...failed.map((result) => ({ tenantId: result.tenantId, error: result.error ?? 'unknown' })),
    ].slice(0, listedTenantsLimit),
  };
}

/** Characters Step Functions allows in an execution name, of those an id may have. */
const nameUnsafe = /[^A-Za-z0-9_-]/g;
const maxExecutionNameLength = 80;

/** The child execution of a wave's batch (or its rollback): the same name on every retry and redrive, so it starts once. */
export function batchExecutionName(rolloutId: string, wave: number, batch: number, mode: RolloutMode): string {
  return `${rolloutId}-w${wave}-b${batch}${mode === 'rollback' ? '-rollback' : ''}`;
}

/**
 * A tenant's update execution within a rollout: derived from the rollout, the wave, the mode, the
 * attempt and the tenant, so a retried step or a redriven execution finds the update it started
 * instead of starting another. The visible part helps an operator; the digest keeps long ids apart.
 */
export function tenantExecutionName(
  rolloutId: string,
  tenantId: string,
  wave: number,
  mode: RolloutMode,
  attempt: number,
): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([rolloutId, tenantId, wave, mode, attempt]))
    .digest('hex')
    .slice(0, 12);
  const visible = `${rolloutId.slice(0, 24)}-w${wave}${mode === 'rollback' ? 'r' : ''}a${attempt}-${tenantId.replace(nameUnsafe, '')}`;
  return `${visible.slice(0, maxExecutionNameLength - digest.length - 1)}-${digest}`;
}

/** The detail of a wave's `Rollout Wave Completed` event. */
export function waveEventDetail(
  state: RolloutState,
  wave: WaveProgress,
  outcome: 'completed' | 'halted',
  reason?: HaltReason,
): RolloutWaveDetail {
  const { rollout, gate, rollback } = state;
  return {
    rolloutId: rollout.rolloutId,
    model: rollout.model,
    version: rollout.version,
    wave: wave.wave,
    waves: state.plan?.waveSizes.length ?? 0,
    outcome,
    ...(reason !== undefined ? { reason } : {}),
    tenants: { updated: wave.updated, unchanged: wave.unchanged, skipped: wave.skipped, failed: wave.failed },
    toleratedFailures: wave.tolerated,
    failedTenants: [...wave.failedTenants],
    ...(gate?.done === true
      ? {
          gate: {
            healthy: gate.healthy === true,
            checkedTenants: gate.checkedTenants,
            unstableTenants: gate.unstable,
            unstableListed: [...gate.unstableListed],
            alarmsInAlarm: [...gate.alarmsInAlarm],
          },
        }
      : {}),
    ...(rollback !== undefined
      ? {
          rollback: {
            rolledBack: rollback.rolledBack,
            failed: rollback.failed,
            failedTenants: [...rollback.failedTenants],
          },
        }
      : {}),
  };
}

/**
 * After a wave's event: the next wave (continuing the pages where this one stopped), or the end.
 * A halted wave ends the rollout.
 */
export function afterWave(state: RolloutState, outcome: 'completed' | 'halted', reason?: HaltReason): RolloutState {
  const { plan, wave } = state;
  if (plan === undefined || wave === undefined) return { ...state, next: 'complete', outcome: 'completed' };
  const result: WaveResult = {
    wave: wave.wave,
    outcome,
    ...(reason !== undefined ? { reason } : {}),
    updated: wave.updated,
    unchanged: wave.unchanged,
    skipped: wave.skipped,
    failed: wave.failed,
    ...(state.rollback !== undefined ? { rolledBack: state.rollback.rolledBack } : {}),
  };
  const results = [...(state.results ?? []), result];
  const { batch: _batch, gate: _gate, rollback: _rollback, ...rest } = state;
  if (outcome === 'halted') return { ...rest, results, next: 'halted', outcome: 'halted' };
  if (wave.wave >= plan.waveSizes.length) return { ...rest, results, next: 'complete', outcome: 'completed' };
  return {
    ...rest,
    results,
    wave: startWave(plan, state.rollout.maxFailures, wave.wave + 1, wave),
    next: 'wave',
  };
}
