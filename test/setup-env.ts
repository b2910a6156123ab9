/**
 * Environment every handler reads at cold start, with test values.
 * Tests that need another value set it before importing the handler.
 */
import { builtInTierCatalog } from '../functions/shared/config/catalog.ts';

const testEnv: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  TENANT_REGISTRY_TABLE: 'tenant-registry',
  IDEMPOTENCY_TABLE: 'idempotency',
  EVENT_BUS_NAME: 'saas-bus',
  CONTROL_PLANE_SOURCE: 'sbt.control.plane',
  APPLICATION_PLANE_SOURCE: 'sbt.application.plane',
  ACCEPT_LEGACY_DETAIL_TYPES: 'true',
  EMIT_LEGACY_DETAIL_TYPES: 'false',
  STACK_NAME_PREFIX: 'tenant',
  TEMPLATE_BASE_URL: 'https://templates.s3.us-east-1.amazonaws.com/tenant-templates',
  PUBLISHED_TEMPLATE_VERSIONS: JSON.stringify({
    'silo-services': ['1.0.0', '1.1.0'],
    'silo-cluster': ['1.0.0', '1.1.0'],
  }),
  TENANT_STACK_PARAMETERS: JSON.stringify({
    VpcId: 'vpc-0a1b2c3d4e5f67890',
    SubnetIds: 'subnet-0a1b2c3d4e5f67890,subnet-0f1e2d3c4b5a69788',
    LoadBalancerSecurityGroupId: 'sg-0a1b2c3d4e5f67890',
    SharedClusterName: 'shared-tenants',
    PermissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/tenant-boundary',
  }),
  CLOUDFORMATION_ROLE_ARN: 'arn:aws:iam::111122223333:role/tenant-stacks',
  TENANT_DOMAIN: 'tenants.example.com',
  ROUTE_LISTENERS: JSON.stringify([
    {
      listenerArn:
        'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants/50dc6c495c0c9188/f2f7dc8efc522ab2',
      capacity: 100,
      pooledTargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/pooled/73e2d6bc24d8a067',
    },
  ]),
  STACK_TIMEOUT_SECONDS: '3600',
  SERVICES_TIMEOUT_SECONDS: '900',
  STACK_QUEUE_TIMEOUT_SECONDS: '600',
  MAX_STACK_OPERATIONS: '20',
  STACK_DRIFT_CHECKS_PER_RUN: '0',
  TOMBSTONE_SECONDS: '1296000',
  ONBOARDING_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-onboarding',
  OFFBOARDING_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-offboarding',
  SUSPENSION_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-suspension',
  UPDATE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-update',
  TIER_CATALOG: JSON.stringify(builtInTierCatalog),
  ROLLOUT_WAVE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:tenant-rollout-wave',
  DATA_MIGRATION_HOOK_TIMEOUT_SECONDS: '0',
  EVENT_DRIVEN_WAITS: 'true',
};

for (const [key, value] of Object.entries(testEnv)) {
  process.env[key] ??= value;
}
