/**
 * Key schemas of the orchestrator's tables: the registry adapters use these names, the CDK app
 * creates the tables with them and the local runtime creates them in dynalite.
 */
export const tableDefinitions = {
  /** Tenant records (`TENANT#<id>` / `TENANT`) and route priorities (`LISTENER#<arn>` / `PRIORITY#<n>`). */
  registry: {
    partitionKey: 'pk',
    sortKey: 'sk',
    timeToLiveAttribute: 'tombstoneExpiresAt',
    /** The sparse index that lists the tenant records only (tenant-pages.ts says why it looks like this). */
    tenantList: {
      indexName: 'tenant-list',
      /** The same value on every tenant record; absent on every other item, which keeps them out. */
      partitionKey: 'tenantListPartition',
      /** `<createdAt>#<tenantId>`: oldest first, as the dry run lists them. */
      sortKey: 'tenantListOrder',
      /** What a rollout's selection reads (functions/rollout/plan.ts `selectTenant`), and no more. */
      projectedAttributes: ['tenantId', 'status', 'tier', 'plan', 'pinned', 'tierChange', 'createdAt'],
    },
  },
  /** Powertools idempotency records. */
  idempotency: { partitionKey: 'id', timeToLiveAttribute: 'expiration' },
} as const;
