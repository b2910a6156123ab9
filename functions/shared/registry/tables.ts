/**
 * Key schemas of the orchestrator's tables: the registry adapters use these names, the CDK app
 * creates the tables with them and the local runtime creates them in dynalite.
 */
export const tableDefinitions = {
  /** Tenant records (`TENANT#<id>` / `TENANT`) and route priorities (`LISTENER#<arn>` / `PRIORITY#<n>`). */
  registry: { partitionKey: 'pk', sortKey: 'sk', timeToLiveAttribute: 'tombstoneExpiresAt' },
  /** Powertools idempotency records. */
  idempotency: { partitionKey: 'id', timeToLiveAttribute: 'expiration' },
} as const;
