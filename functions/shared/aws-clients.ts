/**
 * One client per AWS service per process, created on first use and reused across invocations.
 * Adapters import the one module of the service they call (functions/shared/aws-clients/*.ts),
 * so a function's bundle loads only the SDK clients it uses: the SDK comes from the Lambda
 * runtime, and an external import cannot be tree-shaken. This barrel is for code outside the
 * functions (the local runtime, tests, benchmarks), which attaches to these same instances.
 */
export { cloudFormationClient } from './aws-clients/cloudformation.ts';
export { dynamoDbClient, dynamoDbDocumentClient } from './aws-clients/dynamodb.ts';
export { ecsClient } from './aws-clients/ecs.ts';
export { elbClient } from './aws-clients/elb.ts';
export { eventBridgeClient } from './aws-clients/eventbridge.ts';
export { sfnClient } from './aws-clients/sfn.ts';
