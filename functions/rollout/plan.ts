/**
 * What a fleet rollout of one template version touches, wave by wave: the pure planning behind
 * `rollout --dry-run`. It takes the registry's records (any number of pages; the caller pages)
 * and the rollout's options, and answers which tenants each wave updates, which it skips and why,
 * and which already run the target version (a re-run of a halted rollout leaves those alone, so it
 * resumes where the halt stopped).
 *
 * Waves are cumulative shares of the selected tenants: `1,10%,100%` over 50 tenants updates 1,
 * then 4 more (10% of 50 is 5 in all), then the remaining 45. A share rounds up, every wave has
 * at least one tenant, waves that would be empty are dropped, and the last wave always reaches
 * every selected tenant (a list that does not end at 100% gets it added, and the plan shows it).
 */
import { compareTenantListOrder } from '../shared/registry/keys.ts';
import type { TenantRecord } from '../shared/registry/tenants.ts';
import { TenantStatus } from '../shared/registry/tenant-status.ts';

/** One entry of `--waves`: a number of tenants, or a share of the selected tenants. */
export type WaveSize = { readonly count: number } | { readonly percent: number };

/** A wave's failure threshold (`--max-failures`): more failed tenants than this halts the rollout. */
export type FailureThreshold = { readonly count: number } | { readonly percent: number };

/**
 * Why a selected tenant is left out of every wave. `tier-change`: a tier change is in flight (its
 * record is kept until the change finishes, also when it failed and waits for a redrive); an update
 * of the template version would be refused until then.
 */
export type SkipReason = 'pinned' | 'suspended' | 'offboarding' | 'not-onboarded' | 'tier-change';

/** The rollout's options, as the CLI and the workflow take them. */
export interface RolloutOptions {
  /** The silo isolation model whose stacks move (versions are per model). */
  readonly model: string;
  /** The target template version; it must be shipped for `model`. */
  readonly version: string;
  /** Only tenants of this tier. */
  readonly tier?: string;
  /** Only these tenant ids; each must be a tenant of `model`. */
  readonly tenantIds?: readonly string[];
  readonly waves: readonly WaveSize[];
  /** How many tenants of a wave update at once. */
  readonly concurrency: number;
  readonly maxFailures: FailureThreshold;
  /** Seconds to wait after a wave before its health gate. */
  readonly bakeSeconds: number;
}

/** The defaults of the options a rollout does not name. */
export const rolloutDefaults = {
  waves: '1,10%,100%',
  concurrency: 5,
  maxFailures: '0',
  /** Five minutes: long enough for an alarm on a 1-minute metric to fire on a real regression. */
  bakeSeconds: 300,
} as const;

/** Limits, checked before any parsing. */
export const rolloutLimits = {
  /** Characters of `--waves` and `--max-failures`. */
  optionLength: 200,
  waves: 20,
  /**
   * Tenants updated at once within a wave (the wave's Map MaxConcurrency): at most the tenants of
   * one child execution (progress.ts tenantsPerBatch), which keeps each child's history bounded.
   */
  concurrency: 20,
  /** A day: a longer bake is better done as two rollouts. */
  bakeSeconds: 86_400,
  /** Ids in `--tenants`. */
  tenantIds: 1_000,
} as const;

/** A rollout option that cannot be planned; the message says what to give instead. */
export class RolloutOptionError extends Error {
  override readonly name = 'RolloutOptionError';
}

const countPattern = /^[1-9]\d{0,5}$/;
const percentPattern = /^([1-9]\d?|100)%$/;

/** Parses `--waves 1,10%,100%`. */
export function parseWaves(text: string): WaveSize[] {
  if (text.length > rolloutLimits.optionLength)
    throw new RolloutOptionError(`--waves is longer than ${rolloutLimits.optionLength} characters`);
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.length > rolloutLimits.waves)
    throw new RolloutOptionError(`--waves names ${entries.length} waves; at most ${rolloutLimits.waves}`);
  return entries.map((entry) => {
    if (countPattern.test(entry)) return { count: Number(entry) };
    if (percentPattern.test(entry)) return { percent: Number(entry.slice(0, -1)) };
    throw new RolloutOptionError(
      `--waves entry "${entry.slice(0, 20)}" is neither a number of tenants (e.g. 1) nor a share from 1% to 100% (e.g. 10%)`,
    );
  });
}

/** Parses `--max-failures N|P%` (0 halts on the first failure). */
export function parseFailureThreshold(text: string): FailureThreshold {
  if (text.length > rolloutLimits.optionLength)
    throw new RolloutOptionError(`--max-failures is longer than ${rolloutLimits.optionLength} characters`);
  if (/^(0|[1-9]\d{0,5})$/.test(text)) return { count: Number(text) };
  if (/^(0|[1-9]\d?|100)%$/.test(text)) return { percent: Number(text.slice(0, -1)) };
  throw new RolloutOptionError('--max-failures takes a number of tenants (e.g. 2) or a share of a wave (e.g. 10%)');
}

/** The failed tenants a wave of `size` tolerates: more than this halts the rollout. */
export function toleratedFailures(threshold: FailureThreshold, size: number): number {
  return 'count' in threshold ? threshold.count : Math.floor((threshold.percent * size) / 100);
}

/** Checks the numeric options; the parsers check the others. */
export function checkRolloutOptions(options: RolloutOptions): void {
  const { concurrency, bakeSeconds, tenantIds } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > rolloutLimits.concurrency)
    throw new RolloutOptionError(`--concurrency must be a whole number from 1 to ${rolloutLimits.concurrency}`);
  if (!Number.isInteger(bakeSeconds) || bakeSeconds < 0 || bakeSeconds > rolloutLimits.bakeSeconds)
    throw new RolloutOptionError(`--bake must be a whole number of seconds from 0 to ${rolloutLimits.bakeSeconds}`);
  if (tenantIds !== undefined && tenantIds.length > rolloutLimits.tenantIds)
    throw new RolloutOptionError(`--tenants names ${tenantIds.length} tenants; at most ${rolloutLimits.tenantIds}`);
}

/** The cumulative number of tenants each wave reaches, for `total` selected tenants. */
export function waveEnds(waves: readonly WaveSize[], total: number): number[] {
  const ends: number[] = [];
  let previous = 0;
  for (const wave of [...waves, { percent: 100 }]) {
    if (previous >= total) break;
    const wanted = 'count' in wave ? wave.count : Math.ceil((wave.percent * total) / 100);
    const end = Math.min(total, Math.max(previous + 1, wanted));
    ends.push(end);
    previous = end;
  }
  return ends;
}

/** A skipped tenant. */
export interface SkippedTenant {
  readonly tenantId: string;
  readonly reason: SkipReason;
}

/** One wave of the plan. */
export interface PlannedWave {
  /** 1-based. */
  readonly wave: number;
  readonly tenantIds: string[];
  /** More failed tenants than this halts the rollout and rolls the wave back. */
  readonly toleratedFailures: number;
}

/** What a rollout touches. */
export interface RolloutPlan {
  readonly model: string;
  readonly version: string;
  readonly waves: PlannedWave[];
  readonly skipped: SkippedTenant[];
  /** Selected tenants that already run the target version: not touched again. */
  readonly alreadyOnTarget: string[];
}

/** What the selection reads of a tenant record: what the registry's tenant list holds of it. */
export type SelectableTenant = Pick<TenantRecord, 'tenantId' | 'status' | 'tier' | 'plan' | 'pinned' | 'tierChange'>;

function skipReason(record: SelectableTenant): SkipReason | undefined {
  if (record.status === TenantStatus.offboarding) return 'offboarding';
  if (record.tierChange !== undefined) return 'tier-change';
  if (
    record.status === TenantStatus.suspended ||
    record.status === TenantStatus.suspending ||
    record.status === TenantStatus.resuming
  )
    return 'suspended';
  if (record.plan?.templateVersion === undefined) return 'not-onboarded';
  if (record.pinned === true) return 'pinned';
  return undefined;
}

/** What a rollout does with one registry record. */
export type TenantSelection =
  /** Not of the rollout's model, tier or tenant list (or offboarded): not part of the rollout at all. */
  | { readonly kind: 'not-selected' }
  | { readonly kind: 'skipped'; readonly reason: SkipReason }
  | { readonly kind: 'on-target' }
  | { readonly kind: 'update' };

/** The part of the options that selects tenants. */
export type TenantSelector = Pick<RolloutOptions, 'model' | 'version' | 'tier' | 'tenantIds'>;

/**
 * What a rollout does with `record`: the one rule the plan, the workflow's paging step and its
 * per-tenant start share, so the dry run and the rollout agree on every tenant.
 */
export function selectTenant(record: SelectableTenant, selector: TenantSelector): TenantSelection {
  if (record.status === TenantStatus.deleted) return { kind: 'not-selected' };
  // A tier change in flight counts on both sides: the model and tier the tenant has, and the ones it moves to.
  const { from, to } = record.tierChange ?? {};
  const models = [record.plan?.isolationModel, from?.isolationModel, to?.isolationModel];
  if (!models.some((model) => model === selector.model)) return { kind: 'not-selected' };
  if (selector.tenantIds !== undefined && !selector.tenantIds.includes(record.tenantId))
    return { kind: 'not-selected' };
  const tiers = [record.plan?.tier ?? record.tier, from?.tier, to?.tier];
  if (selector.tier !== undefined && !tiers.includes(selector.tier)) return { kind: 'not-selected' };
  const reason = skipReason(record);
  if (reason !== undefined) return { kind: 'skipped', reason };
  if (record.plan?.templateVersion === selector.version) return { kind: 'on-target' };
  return { kind: 'update' };
}

/**
 * Plans a rollout over `records` (every page of the registry). A tenant busy with another
 * operation (an onboarding still in flight) stays in its wave: the rollout waits for its lock.
 */
export function planRollout(records: readonly TenantRecord[], options: RolloutOptions): RolloutPlan {
  checkRolloutOptions(options);
  if (options.tenantIds !== undefined) {
    const known = new Set(
      records
        .filter(
          (record) => selectTenant(record, { model: options.model, version: options.version }).kind !== 'not-selected',
        )
        .map((record) => record.tenantId),
    );
    const unknown = options.tenantIds.filter((tenantId) => !known.has(tenantId));
    if (unknown.length > 0)
      throw new RolloutOptionError(
        `--tenants names ${unknown.length} tenant(s) that are not live ${options.model} tenants: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`,
      );
  }
  // The tenant list's order, in which the workflow takes them too.
  const selected = [...records].sort(compareTenantListOrder);
  const skipped: SkippedTenant[] = [];
  const alreadyOnTarget: string[] = [];
  const toUpdate: string[] = [];
  for (const record of selected) {
    const selection = selectTenant(record, options);
    if (selection.kind === 'skipped') skipped.push({ tenantId: record.tenantId, reason: selection.reason });
    else if (selection.kind === 'on-target') alreadyOnTarget.push(record.tenantId);
    else if (selection.kind === 'update') toUpdate.push(record.tenantId);
  }
  let start = 0;
  const waves = waveEnds(options.waves, toUpdate.length).map((end, index): PlannedWave => {
    const tenantIds = toUpdate.slice(start, end);
    start = end;
    return { wave: index + 1, tenantIds, toleratedFailures: toleratedFailures(options.maxFailures, tenantIds.length) };
  });
  return { model: options.model, version: options.version, waves, skipped, alreadyOnTarget };
}
