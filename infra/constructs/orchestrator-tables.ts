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
