/**
 * One client per AWS service per process, created on first use and reused across invocations.
 * Only adapters import this module. The local runtime attaches its simulator to these same
 * instances, so the handlers' code path is identical locally and in AWS.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** SDK retries first (standard mode, 3 attempts); what still fails goes back to the workflow. */
const common = { maxAttempts: 3 } as const;

let dynamoDb: DynamoDBClient | undefined;
let documentClient: DynamoDBDocumentClient | undefined;
let cloudFormation: CloudFormationClient | undefined;
let ecs: ECSClient | undefined;
let elb: ElasticLoadBalancingV2Client | undefined;
let eventBridge: EventBridgeClient | undefined;
let sfn: SFNClient | undefined;

export function dynamoDbClient(): DynamoDBClient {
  return (dynamoDb ??= new DynamoDBClient(common));
}

export function dynamoDbDocumentClient(): DynamoDBDocumentClient {
  return (documentClient ??= DynamoDBDocumentClient.from(dynamoDbClient(), {
    marshallOptions: { removeUndefinedValues: true },
  }));
}

export function cloudFormationClient(): CloudFormationClient {
  return (cloudFormation ??= new CloudFormationClient(common));
}

export function ecsClient(): ECSClient {
  return (ecs ??= new ECSClient(common));
}

export function elbClient(): ElasticLoadBalancingV2Client {
  return (elb ??= new ElasticLoadBalancingV2Client(common));
}

export function eventBridgeClient(): EventBridgeClient {
  return (eventBridge ??= new EventBridgeClient(common));
}

export function sfnClient(): SFNClient {
  return (sfn ??= new SFNClient(common));
}
