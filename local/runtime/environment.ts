/**
 * The environment the real handlers read at cold start, set for the local runtime before any
 * handler module is imported. Orchestrator settings keep a value the caller already set (so a
 * test or an operator can try another configuration); what must agree with the runtime itself
 * (region, the state machine ARNs, the DynamoDB endpoint, throwaway credentials) is always set.
 */
import type { EnvironmentVariable } from '../../infra/constructs/function-environment.ts';
import { builtInTierCatalog } from '../../functions/shared/config/catalog.ts';
import { shippedVersions } from '../../infra/tenant-templates/versions.ts';
import { localStateMachineArn } from '../workflow-runner.ts';

/** Variables whose value the runtime dictates. */
type RuntimeVariable =
  | 'ONBOARDING_STATE_MACHINE_ARN'
  | 'OFFBOARDING_STATE_MACHINE_ARN'
  | 'SUSPENSION_STATE_MACHINE_ARN'
  | 'UPDATE_STATE_MACHINE_ARN'
  | 'ROLLOUT_WAVE_STATE_MACHINE_ARN';

/**
 * Orchestrator settings, like those of a deployed stack; a value the caller set wins. Typed by
 * the CDK app's list of the variables handlers read, so a new one cannot be forgotten here.
 */
const localSettings: Readonly<Record<Exclude<EnvironmentVariable, RuntimeVariable>, string>> = {
  TENANT_REGISTRY_TABLE: 'tenant-registry',
  IDEMPOTENCY_TABLE: 'idempotency',
  EVENT_BUS_NAME: 'saas-bus',
  CONTROL_PLANE_SOURCE: 'sbt.control.plane',
  APPLICATION_PLANE_SOURCE: 'sbt.application.plane',
  ACCEPT_LEGACY_DETAIL_TYPES: 'true',
  EMIT_LEGACY_DETAIL_TYPES: 'false',
  STACK_NAME_PREFIX: 'tenant',
  TEMPLATE_BASE_URL: 'https://templates.s3.us-east-1.amazonaws.com/tenant-templates',
  // What the CDK app publishes: every shipped version, which the local cloud's templates read too.
  PUBLISHED_TEMPLATE_VERSIONS: JSON.stringify({
    'silo-services': shippedVersions('silo-services'),
    'silo-cluster': shippedVersions('silo-cluster'),
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
  STACK_QUEUE_TIMEOUT_SECONDS: '14400',
  MAX_STACK_OPERATIONS: '20',
  // Off, as the CDK app's default: `reconcile --detect-drift` starts checks on demand.
  STACK_DRIFT_CHECKS_PER_RUN: '0',
  // The CDK app's value: 14 days of request dead-letter retention plus a day.
  TOMBSTONE_SECONDS: String(15 * 24 * 60 * 60),
  // The construct's default: the built-in catalog, compact, as the CDK app sets it.
  TIER_CATALOG: JSON.stringify(builtInTierCatalog),
  // Off, as the construct's default: a tier change switches without asking the application.
  DATA_MIGRATION_HOOK_TIMEOUT_SECONDS: '0',
  EVENT_DRIVEN_WAITS: 'true',
};

/** Logging defaults: warnings and errors only, unless the caller asked for more (or less). */
const loggingDefaults = { POWERTOOLS_LOG_LEVEL: 'WARN' } as const;

/** Credential and profile variables removed so nothing can reach a real AWS account. */
const removed = [
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
];

/**
 * Sets the handlers' environment for a runtime whose DynamoDB is at `dynamoDbEndpoint`.
 * Handlers read it once per process, at their first import.
 */
export function applyLocalEnvironment(dynamoDbEndpoint: string, env: NodeJS.ProcessEnv = process.env): void {
  for (const [key, value] of Object.entries({ ...loggingDefaults, ...localSettings })) env[key] ??= value;
  for (const key of removed) delete env[key];
  Object.assign(env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
    ONBOARDING_STATE_MACHINE_ARN: localStateMachineArn('onboarding'),
    OFFBOARDING_STATE_MACHINE_ARN: localStateMachineArn('offboarding'),
    SUSPENSION_STATE_MACHINE_ARN: localStateMachineArn('suspension'),
    UPDATE_STATE_MACHINE_ARN: localStateMachineArn('update'),
    ROLLOUT_WAVE_STATE_MACHINE_ARN: localStateMachineArn('rollout-wave'),
  });
}
