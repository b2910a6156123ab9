/**
 * The tenant list's custom resource (the CDK Provider framework's onEvent handler): when the stack
 * is deployed with this release for the first time, whether the registry is new or an earlier
 * release's, it puts every tenant record on the tenant list and marks the list complete
 * (functions/shared/registry/tenant-list.ts), so a rollout can plan without a manual step.
 *
 * It never fails a deployment: a backfill that runs out of time or meets an error stops unfinished,
 * says so in its log and in the resource's `complete` attribute, and the rollout's plan step then
 * refuses with the way out (`index-tenants --aws`, which finishes it; running it again is harmless).
 * Deleting the resource deletes nothing.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { readRegistryTableName } from '../shared/config/environment.ts';
import { backfillTenantList } from '../shared/registry/tenant-list.ts';
import { createLogger, stepHandler } from '../shared/step/handler.ts';

const logger = createLogger('index-tenants');
const registryTableName = readRegistryTableName();

/** The resource's one physical id: there is one tenant list per registry. */
export const tenantListResourceId = 'tenant-list';
/** Time kept back from the function's timeout to answer CloudFormation. */
const answerMarginMs = 30_000;

/** What the Provider framework reports to CloudFormation. */
export interface TenantListResponse {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly complete: string; readonly listed: string };
}

export const handler = stepHandler(
  logger,
  async (event: CloudFormationCustomResourceEvent, context): Promise<TenantListResponse> => {
    if (event.RequestType === 'Delete')
      return { PhysicalResourceId: tenantListResourceId, Data: { complete: 'false', listed: '0' } };
    const deadline = Date.now() + Math.max(0, context.getRemainingTimeInMillis() - answerMarginMs);
    try {
      const { listed, readyAt } = await backfillTenantList(registryTableName, new Date(), undefined, deadline);
      const complete = readyAt !== undefined;
      logger.info(complete ? 'Tenant list complete' : 'Tenant list backfill stopped at its deadline', {
        listed,
        ...(readyAt !== undefined ? { readyAt } : {}),
      });
      return { PhysicalResourceId: tenantListResourceId, Data: { complete: String(complete), listed: String(listed) } };
    } catch (error) {
      logger.error('Tenant list backfill failed; run `index-tenants --aws` to finish it', { error: error as Error });
      return { PhysicalResourceId: tenantListResourceId, Data: { complete: 'false', listed: '0' } };
    }
  },
);
