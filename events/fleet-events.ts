/**
 * The orchestrator's own events about its fleet, put on the same bus as the replies but with a
 * source of their own, so no control plane rule written for the replies (source
 * `sbt.application.plane`) ever matches them. Documented in docs/contract.md ("Fleet events").
 */
import * as z from 'zod';

/** `source` of every fleet event. */
export const fleetEventSource = 'tenant-orchestrator';

/** `detail-type` of each fleet event. */
export const FleetDetailType = {
  /** A reconciliation run (scheduled in AWS) found differences between the registry and the account. */
  reconcileFindings: 'Reconcile Findings',
  /** A rollout finished one wave: completed (it passed its gate) or halted (and rolled back). */
  rolloutWaveCompleted: 'Rollout Wave Completed',
  /**
   * A tier change waits, before its switch, for the application to migrate or copy the tenant's
   * data and answer with the task token (only when the data migration hook is on).
   */
  dataMigrationRequested: 'Tenant Data Migration Requested',
} as const;

/** How many findings an event lists; the counts cover all of them (an event holds at most 256 KB). */
export const listedFindingsLimit = 100;

const findingSchema = z.object({
  kind: z.string(),
  tenantId: z.string().optional(),
  resource: z.string(),
  detail: z.string(),
});

/** The detail of a `Reconcile Findings` event. */
export const ReconcileFindingsDetailSchema = z.object({
  /** When the run read the registry and the account. */
  checkedAt: z.string(),
  /** Every finding of the run. */
  findings: z.number().int().nonnegative(),
  /** Findings per kind (`orphan-rule`, `missing-stack`, ...). */
  byKind: z.record(z.string(), z.number().int().positive()),
  /** The first {@link listedFindingsLimit} findings, in the CLI's order. */
  listed: z.array(findingSchema).max(listedFindingsLimit),
  /** True when some findings are counted but not listed. */
  truncated: z.boolean(),
});
export type ReconcileFindingsDetail = z.infer<typeof ReconcileFindingsDetailSchema>;

/** How many tenants a rollout wave event lists per list; the counts cover all of them. */
export const listedWaveTenantsLimit = 20;

const failedTenantSchema = z.object({ tenantId: z.string(), error: z.string() });

/** The detail of a `Rollout Wave Completed` event: one per wave, halted or not. Ids and counts only. */
export const RolloutWaveDetailSchema = z.object({
  /** The rollout (its execution name). */
  rolloutId: z.string(),
  /** The isolation model and the template version rolled out. */
  model: z.string(),
  version: z.string(),
  /** 1-based, of `waves`. */
  wave: z.number().int().positive(),
  waves: z.number().int().nonnegative(),
  /** `halted`: the rollout stops after this wave, which was rolled back. */
  outcome: z.enum(['completed', 'halted']),
  /** Halted only: too many failed tenants (`failures`) or the health gate (`gate`). */
  reason: z.enum(['failures', 'gate']).optional(),
  /** The wave's tenants by outcome (`unchanged`: already on the version; `skipped`: pinned, suspended, a tier change in flight... when their turn came). */
  tenants: z.object({
    updated: z.number().int().nonnegative(),
    unchanged: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
  }),
  /** More failed tenants than this halts the rollout. */
  toleratedFailures: z.number().int().nonnegative(),
  failedTenants: z.array(failedTenantSchema).max(listedWaveTenantsLimit),
  /** The health gate after the bake; absent when the wave halted on failures before it. */
  gate: z
    .object({
      healthy: z.boolean(),
      checkedTenants: z.number().int().nonnegative(),
      unstableTenants: z.number().int().nonnegative(),
      unstableListed: z.array(z.object({ tenantId: z.string(), detail: z.string() })).max(listedWaveTenantsLimit),
      /** Named alarms that were in ALARM. */
      alarmsInAlarm: z.array(z.string()),
    })
    .optional(),
  /** Halted only: the wave's updated tenants moved back to the version each had. */
  rollback: z
    .object({
      rolledBack: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      failedTenants: z.array(failedTenantSchema).max(listedWaveTenantsLimit),
    })
    .optional(),
});
export type RolloutWaveDetail = z.infer<typeof RolloutWaveDetailSchema>;

/** One side of a tier change, as the data migration hook describes it. */
const migrationSideSchema = z.object({
  tier: z.string(),
  /** `pool`, `silo-services` or `silo-cluster`. */
  isolationModel: z.string(),
  /** The side's tenant stacks (none for a pool tier), with their outputs on the new side. */
  stacks: z.array(z.object({ stackName: z.string(), outputs: z.record(z.string(), z.string()).optional() })),
});

/**
 * The detail of a `Tenant Data Migration Requested` event. The application answers with
 * SendTaskSuccess (the tier change goes on to its switch) or SendTaskFailure (it fails before the
 * switch; the tenant keeps serving on its old tier) with `taskToken`, before `deadline`.
 */
export const DataMigrationRequestedDetailSchema = z.object({
  /** The callback token to answer with (one per attempt: a redrive asks again with a new one). */
  taskToken: z.string().min(1).max(2048),
  tenantId: z.string(),
  /** The update execution waiting for the answer. */
  executionArn: z.string(),
  from: migrationSideSchema,
  to: migrationSideSchema,
  /** How long the tier change waits for the answer, and until when (ISO 8601: `timeoutSeconds` after the event is put; the step's timer started a moment before). */
  timeoutSeconds: z.number().int().positive(),
  deadline: z.string(),
});
export type DataMigrationRequestedDetail = z.infer<typeof DataMigrationRequestedDetailSchema>;
