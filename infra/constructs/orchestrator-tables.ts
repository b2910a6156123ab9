/**
 * The orchestrator's DynamoDB tables, with the key names the local runtime uses
 * (local/dynamodb.ts), so the handlers behave the same against both.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { tableDefinitions } from '../../functions/shared/registry/tables.ts';

/** The tenant registry and the idempotency store. */
export class OrchestratorTables extends Construct {
  /**
   * Tenant records, operation locks and route priorities: the only record of what each tenant owns,
   * so it survives the stack (Retain) and cannot be deleted by accident (deletion protection).
   */
  public readonly registry: dynamodb.Table;
  /**
   * The registry for grants of item actions: the table's ARN only. A grant on {@link registry}
   * would also cover `index/*` (CDK adds it once the table has an index), so each function that
   * reads the tenant list is granted it by {@link tenantListArn} instead.
   */
  public readonly registryItems: dynamodb.ITable;
  /** The registry's tenant list (a sparse global secondary index of the tenant records). */
  public readonly tenantListArn: string;
  /** Powertools idempotency records of the steps that send events; they expire on their own. */
  public readonly idempotency: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const { registry, idempotency } = tableDefinitions;
    this.registry = new dynamodb.Table(this, 'Registry', {
      partitionKey: { name: registry.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: registry.sortKey, type: dynamodb.AttributeType.STRING },
      // Only tombstones carry it; tenant records, route priorities and slots never expire.
      timeToLiveAttribute: registry.timeToLiveAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Tenant records only, for fleet operations to page with Query (functions/shared/registry/tenant-pages.ts
    // says why one partition value, why this projection and what eventual consistency means for a rollout).
    const { tenantList } = registry;
    this.registry.addGlobalSecondaryIndex({
      indexName: tenantList.indexName,
      partitionKey: { name: tenantList.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: tenantList.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...tenantList.projectedAttributes],
    });
    this.registryItems = dynamodb.Table.fromTableArn(this, 'RegistryItems', this.registry.tableArn);
    this.tenantListArn = `${this.registry.tableArn}/index/${tenantList.indexName}`;
    this.idempotency = new dynamodb.Table(this, 'Idempotency', {
      partitionKey: { name: idempotency.partitionKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: tableDefinitions.idempotency.timeToLiveAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Records live a week at most; nothing is lost with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
