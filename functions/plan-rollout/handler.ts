/**
 * The rollout's registry steps (statemachines/rollout.asl.json): `plan` pages through the registry's
 * tenant list (a Query of its index, tenant-pages.ts) once and keeps only counts (how many tenants
 * each wave updates, how many are skipped or already on the version), and `next-batch` takes the
 * next page of a wave's tenants from the wave's cursor. Both select tenants with the dry run's rule (functions/rollout/plan.ts
 * `selectTenant`), reading the list as it is now (eventually consistent: each tenant's start reads
 * its record again, consistently), so a tenant pinned or updated meanwhile is left alone. Read-only.
 */
import { readPublishedTemplates, readRegistryTableName } from '../shared/config/environment.ts';
import { isTenantListReady } from '../shared/registry/tenant-list.ts';
import {
  cursorAfterTenant,
  type ListedTenant,
  readTenantPage,
  type RegistryCursor,
} from '../shared/registry/tenant-pages.ts';
import { ConfigurationError, InvalidStepInputError } from '../shared/step/errors.ts';
import { createLogger, stepHandler } from '../shared/step/handler.ts';
import { selectTenant, type SkippedTenant, waveEnds } from '../rollout/plan.ts';
import {
  listedTenantsLimit,
  nextBatchSize,
  type RolloutInput,
  type RolloutPlanSummary,
  type RolloutState,
  startWave,
} from '../rollout/progress.ts';
import { parseRolloutInput } from '../rollout/schemas.ts';

const logger = createLogger('plan-rollout');
const registryTableName = readRegistryTableName();
const published = readPublishedTemplates();

/** Records a plan reads per Query call: the plan keeps counts only, so it reads in larger pages. */
const planPageSize = 1000;

type PlanRolloutEvent =
  | { readonly action: 'plan'; readonly rollout: unknown }
  | { readonly action: 'next-batch'; readonly state: RolloutState };

async function plan(rollout: RolloutInput): Promise<RolloutState> {
  if (!(published.versions[rollout.model] ?? []).includes(rollout.version))
    throw new InvalidStepInputError(
      `${rollout.model} ${rollout.version} is not a published template version; published: ${(published.versions[rollout.model] ?? []).join(', ') || 'none'}`,
    );
  if (!(await isTenantListReady(registryTableName)))
    throw new ConfigurationError(
      'the registry has no complete tenant list yet (the Custom::TenantList resource of the deployment did not finish it): run `index-tenants --aws` (docs/operate.md, "Upgrade: the tenant list")',
    );
  let cursor: RegistryCursor | undefined;
  let toUpdate = 0;
  let alreadyOnTarget = 0;
  let skipped = 0;
  const skippedListed: SkippedTenant[] = [];
  do {
    const page = await readTenantPage(registryTableName, cursor, planPageSize);
    for (const record of page.records) {
      const selection = selectTenant(record, rollout);
      if (selection.kind === 'update') toUpdate += 1;
      else if (selection.kind === 'on-target') alreadyOnTarget += 1;
      else if (selection.kind === 'skipped') {
        skipped += 1;
        if (skippedListed.length < listedTenantsLimit)
          skippedListed.push({ tenantId: record.tenantId, reason: selection.reason });
      }
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  const ends = waveEnds(rollout.waves, toUpdate);
  const summary: RolloutPlanSummary = {
    waveSizes: ends.map((end, index) => end - (ends[index - 1] ?? 0)),
    toUpdate,
    alreadyOnTarget,
    skipped,
    skippedListed,
  };
  logger.info('Rollout planned', {
    rolloutId: rollout.rolloutId,
    model: rollout.model,
    version: rollout.version,
    waveSizes: summary.waveSizes,
    alreadyOnTarget,
    skipped,
  });
  if (summary.waveSizes.length === 0)
    return { rollout, plan: summary, results: [], next: 'complete', outcome: 'completed' };
  return { rollout, plan: summary, wave: startWave(summary, rollout.maxFailures, 1), results: [], next: 'wave' };
}

async function nextBatch(state: RolloutState): Promise<RolloutState> {
  const { wave, rollout } = state;
  if (wave === undefined) throw new InvalidStepInputError('next-batch needs a wave in progress');
  const wanted = nextBatchSize(wave);
  const batch = wave.batches + 1;
  if (wanted === 0) return { ...state, batch: { batch, tenantIds: [] } };
  const tenantIds: string[] = [];
  let cursor = wave.cursor;
  let exhausted = false;
  for (;;) {
    const page = await readTenantPage(registryTableName, cursor);
    let last: ListedTenant | undefined;
    for (const record of page.records) {
      if (selectTenant(record, rollout).kind !== 'update') continue;
      tenantIds.push(record.tenantId);
      if (tenantIds.length === wanted) {
        last = record;
        break;
      }
    }
    if (last !== undefined) {
      // Stopped within the page: the next batch starts right after the last tenant taken.
      cursor = cursorAfterTenant(last);
      break;
    }
    if (page.nextCursor === undefined) {
      exhausted = true;
      break;
    }
    cursor = page.nextCursor;
  }
  const { cursor: _previous, ...rest } = wave;
  logger.info('Wave batch taken', { rolloutId: rollout.rolloutId, wave: wave.wave, batch, tenants: tenantIds.length });
  return {
    ...state,
    wave: {
      ...rest,
      ...(cursor !== undefined && !exhausted ? { cursor } : {}),
      exhausted,
      taken: wave.taken + tenantIds.length,
      batches: tenantIds.length > 0 ? batch : wave.batches,
    },
    batch: { batch, tenantIds },
  };
}

export const handler = stepHandler(logger, async (event: PlanRolloutEvent): Promise<RolloutState> => {
  switch (event.action) {
    case 'plan':
      return plan(parseRolloutInput(event.rollout));
    case 'next-batch':
      return nextBatch(event.state);
    default:
      throw new InvalidStepInputError(`plan-rollout has no action ${String((event as { action?: unknown }).action)}`);
  }
});
