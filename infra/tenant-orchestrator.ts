/**
 * The tenant orchestrator as a construct: registry and idempotency tables, the step functions, the
 * workflows, the rules that start them and report their failures, the tenant templates and the role
 * CloudFormation creates tenant stacks with, and the alarms. Put it in any stack beside the control
 * plane's EventManager (SaaS Builder Toolkit's, or `{ eventBus }` for another control plane); it
 * plugs into shared infrastructure ({@link SharedInfrastructure}, or yours by id) and creates one
 * with defaults when given none.
 */
import { CfnOutput, CustomResource, Duration, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ContractConfig } from '../events/contract.ts';
import { builtInTierCatalog } from '../functions/shared/config/catalog.ts';
import { maxTierCatalogBytes } from '../functions/shared/config/environment.ts';
import { eventFunctions } from '../functions/lambda-functions.ts';
import { permissionsBoundaryParameter } from '../functions/shared/config/template-parameters.ts';
import { loadTierCatalog, type TierCatalog } from '../functions/shared/config/tier-catalog.ts';
import { projectRoot, validateOrchestratorSettings } from './config.ts';
import type { EnvironmentSetting } from '../functions/shared/config/environment.ts';
import { EventWiring } from './constructs/event-wiring.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { OrchestratorFunctions } from './constructs/orchestrator-functions.ts';
import { OrchestratorTables } from './constructs/orchestrator-tables.ts';
import { siloRepositoryArns } from './constructs/ecr-images.ts';
import { TenantPermissionsBoundary } from './constructs/tenant-boundary.ts';
import { TenantStackRole } from './constructs/tenant-stack-role.ts';
import { TenantTemplatesBucket, type PublishedTemplate } from './constructs/tenant-templates-bucket.ts';
import { workflowFunctionTimeoutSeconds } from './constructs/orchestrator-function.ts';
import {
  fleetWorkflowDefinitionFiles,
  workflowArn,
  workflowDefinitionFiles,
  workflowExecutionsArn,
  Workflows,
} from './constructs/workflows.ts';
import { contractOfEventManager, replyDetailTypes, type OrchestratorEventManager } from './event-naming.ts';
import {
  createEcsServiceLinkedRole,
  routeListenerFromReference,
  SharedInfrastructure,
  sharedParametersFromReference,
  type SharedInfrastructureReference,
} from './shared-infrastructure.ts';
import { shippedTemplates } from './tenant-templates/versions.ts';
import { tombstoneLifetime } from './constructs/request-retention.ts';
import { workflowFunctions } from '../functions/lambda-functions.ts';
import { checkFleetWorkflowBudgets } from './fleet-workflow-budget.ts';
import { checkWorkflowBudgets } from './workflow-budget.ts';
import type { SiloIsolationModel } from './tenant-templates/tenant-parameters.ts';

/** Properties of {@link TenantOrchestrator}: the event manager, and choices that all have defaults. */
export interface TenantOrchestratorProps {
  /**
   * The control plane's bus and event names: SaaS Builder Toolkit's `EventManager` as it is (any
   * release), or `{ eventBus }` (with `controlPlaneEventSource` / `applicationPlaneEventSource`
   * when not the defaults) for another control plane.
   */
  readonly eventManager: OrchestratorEventManager;
  /**
   * The tiers: isolation model, services and routing of each. They reach the functions at run
   * time (TIER_CATALOG, at most 3,072 bytes of compact JSON); give {@link SharedInfrastructure} the same.
   * @default the built-in catalog: basic (pool), advanced (silo-services), premium (silo-cluster)
   */
  readonly tiers?: TierCatalog;
  /**
   * The tenant templates to publish, per silo isolation model and version. The catalog's
   * `templateVersions` must be among them.
   * @default every version shipped with this package (infra/tenant-templates/versions)
   */
  readonly templates?: readonly PublishedTemplate[];
  /**
   * The VPC, listener, cluster and pooled target group tenants plug into: a
   * {@link SharedInfrastructure} (in this stack or another), or infrastructure you run, by id.
   * @default a new SharedInfrastructure with its defaults, inside this construct
   */
  readonly sharedInfrastructure?: SharedInfrastructure | SharedInfrastructureReference;
  /**
   * Host-style tenants (silo tiers) are routed at `<tenantId>.<tenantDomain>`; point a wildcard
   * DNS record for it at the load balancer.
   * @default 'tenants.example.invalid' (a reserved name that never resolves: set yours before real tenants use host routes)
   */
  readonly tenantDomain?: string;
  /**
   * Prefix of tenant stack names (`<prefix>-<tenantId>`) and of the execution log groups.
   * @default 'tenant'
   */
  readonly stackNamePrefix?: string;
  /**
   * Who may send requests: the accounts whose requests on the bus start workflows (the event's
   * `account`, which EventBridge sets to the account that put the event).
   * @default the account of this construct's stack
   */
  readonly controlPlaneAccounts?: readonly string[];
  /**
   * Accept bare detail types (SBT before 0.9) as well; only for an event manager that declares no
   * event names (an SBT EventManager declares them, and its spelling is used).
   * @default true
   */
  readonly acceptLegacyDetailTypes?: boolean;
  /**
   * Emit bare detail types; only for an event manager that declares no event names.
   * @default false
   */
  readonly emitLegacyDetailTypes?: boolean;
  /**
   * Admission limit: tenants that may have a tenant-stack create or delete in flight at once; the
   * others wait in the workflow until a slot frees or `stackQueueTimeoutSeconds` passes.
   * @default 20
   */
  readonly maxConcurrentStackOperations?: number;
  /**
   * Admission limit: how long a tenant may wait for a stack-operation slot before its step fails.
   * @default 14400 (4 hours)
   */
  readonly stackQueueTimeoutSeconds?: number;
  /**
   * How long a tenant stack may take to create or delete.
   * @default 3600
   */
  readonly stackTimeoutSeconds?: number;
  /**
   * How long a tenant's ECS services may take to become stable.
   * @default 900
   */
  readonly servicesTimeoutSeconds?: number;
  /**
   * Tenant rules per load balancer: the ALB quota (100) less the pooled target group's rule.
   * @default 99
   */
  readonly routeCapacity?: number;
  /**
   * Tenant stacks each hourly reconcile run starts a CloudFormation drift detection on (0 to 100);
   * above 0 the reconcile function may read every resource type of the tenant templates.
   * @default 0 (off)
   */
  readonly stackDriftChecksPerRun?: number;
  /**
   * The data migration hook of a tier change (docs/operate.md, "Change a tenant's tier"): before the
   * switch, the update workflow puts a `Tenant Data Migration Requested` event (source
   * `tenant-orchestrator`) carrying a task token, and waits up to `timeoutSeconds` (60 to 86,400)
   * for the application's SendTaskSuccess (go on) or SendTaskFailure (the change fails before the
   * switch; the tenant keeps its old tier). Grant the application's role
   * {@link TenantOrchestrator.grantDataMigrationAnswer}.
   * @default undefined (off: the switch follows the new tier's health check at once)
   */
  readonly dataMigrationHook?: { readonly timeoutSeconds: number };
  /**
   * Retention of the functions' and workflows' logs, in days (a CloudWatch Logs retention period).
   * @default 90
   */
  readonly logRetentionDays?: number;
  /**
   * The SNS topic the alarms notify.
   * @default a new topic, encrypted, SSL only
   */
  readonly alarmTopicArn?: string;
  /**
   * Create the ECS service-linked role (accounts that never used ECS only: the create fails when
   * it exists). With a {@link SharedInfrastructure}, set it there instead.
   * @default false
   */
  readonly createEcsServiceLinkedRole?: boolean;
  /**
   * Copy every reply the orchestrator sends to an SQS queue (output `ReplyQueueUrl`), so
   * `tenant-orchestrator smoke --aws` can read them. Messages are kept one day.
   * @default false
   */
  readonly replyQueue?: boolean;
}

/** Tag on every resource of the orchestrator. */
export const applicationTag = { key: 'application', value: 'tenant-orchestrator' } as const;

/** What the construct uses when a prop is not given. */
export const orchestratorDefaults = {
  tenantDomain: 'tenants.example.invalid',
} as const;

/** The orchestrator; see the module comment. */
export class TenantOrchestrator extends Construct {
  public readonly bus: events.IEventBus;
  public readonly tables: OrchestratorTables;
  public readonly templates: TenantTemplatesBucket;
  /** The permissions boundary of every role a tenant stack creates. */
  public readonly tenantBoundary: TenantPermissionsBoundary;
  public readonly tenantStackRole: TenantStackRole;
  public readonly functions: OrchestratorFunctions;
  public readonly workflows: Workflows;
  public readonly eventWiring: EventWiring;
  public readonly monitoring: Monitoring;
  /**
   * The tenant list's custom resource: at the first deployment of this release it puts every tenant
   * record on the tenant list a rollout pages (functions/index-tenants); attribute `complete` says
   * whether it finished (else `index-tenants --aws` does).
   */
  public readonly tenantList: CustomResource;
  /** The bus, sources and detail-type spellings the functions and rules use. */
  public readonly contract: ContractConfig;
  /** The tier catalog the functions read at run time. */
  public readonly tiers: TierCatalog;
  /** The shared infrastructure created with the defaults, when none was given. */
  public readonly sharedInfrastructure?: SharedInfrastructure;
  /** Copies of the replies (`replyQueue: true`). */
  public readonly replyQueue?: sqs.Queue;

  constructor(scope: Construct, id: string, props: TenantOrchestratorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const config = validateOrchestratorSettings({
      tenantDomain: props.tenantDomain ?? orchestratorDefaults.tenantDomain,
      ...(props.stackNamePrefix !== undefined ? { stackNamePrefix: props.stackNamePrefix } : {}),
      ...(props.controlPlaneAccounts !== undefined ? { controlPlaneAccounts: [...props.controlPlaneAccounts] } : {}),
      ...(props.routeCapacity !== undefined ? { routeCapacity: props.routeCapacity } : {}),
      ...(props.stackTimeoutSeconds !== undefined ? { stackTimeoutSeconds: props.stackTimeoutSeconds } : {}),
      ...(props.servicesTimeoutSeconds !== undefined ? { servicesTimeoutSeconds: props.servicesTimeoutSeconds } : {}),
      ...(props.stackQueueTimeoutSeconds !== undefined
        ? { stackQueueTimeoutSeconds: props.stackQueueTimeoutSeconds }
        : {}),
      ...(props.maxConcurrentStackOperations !== undefined
        ? { maxConcurrentStackOperations: props.maxConcurrentStackOperations }
        : {}),
      ...(props.stackDriftChecksPerRun !== undefined ? { stackDriftChecksPerRun: props.stackDriftChecksPerRun } : {}),
      ...(props.dataMigrationHook !== undefined ? { dataMigrationHook: { ...props.dataMigrationHook } } : {}),
      ...(props.logRetentionDays !== undefined ? { logRetentionDays: props.logRetentionDays } : {}),
      ...(props.alarmTopicArn !== undefined ? { alarmTopicArn: props.alarmTopicArn } : {}),
    });
    // Validated here too: a catalog built in code has not been through loadTierCatalog.
    const tierCatalog = loadTierCatalog(props.tiers ?? builtInTierCatalog);
    const tierCatalogJson = JSON.stringify(tierCatalog);
    if (Buffer.byteLength(tierCatalogJson, 'utf8') > maxTierCatalogBytes) {
      throw new Error(
        `TenantOrchestrator props: tiers is ${Buffer.byteLength(tierCatalogJson, 'utf8')} bytes as JSON, over the ${maxTierCatalogBytes} the functions' environment can hold (Lambda allows 4 KB of variables per function)`,
      );
    }
    this.tiers = tierCatalog;
    const root = projectRoot;
    // Fail synth, naming the settings, when an execution could run out of time (TIMED_OUT, no reason) before a step fails.
    checkWorkflowBudgets(root, workflowDefinitionFiles, {
      stackTimeoutSeconds: config.stackTimeoutSeconds,
      servicesTimeoutSeconds: config.servicesTimeoutSeconds,
      stackQueueTimeoutSeconds: config.stackQueueTimeoutSeconds,
      functionTimeoutSeconds: workflowFunctionTimeoutSeconds,
    });
    checkFleetWorkflowBudgets(
      root,
      fleetWorkflowDefinitionFiles,
      workflowDefinitionFiles,
      workflowFunctionTimeoutSeconds,
    );
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    this.contract = contractOfEventManager(props.eventManager, {
      ...(props.acceptLegacyDetailTypes !== undefined
        ? { acceptLegacyDetailTypes: props.acceptLegacyDetailTypes }
        : {}),
      ...(props.emitLegacyDetailTypes !== undefined ? { emitLegacyDetailTypes: props.emitLegacyDetailTypes } : {}),
    });

    this.bus = props.eventManager.eventBus;
    this.tables = new OrchestratorTables(this, 'Tables');

    let sharedInfrastructure: SharedInfrastructureReference;
    if (props.sharedInfrastructure === undefined) {
      this.sharedInfrastructure = new SharedInfrastructure(this, 'SharedInfrastructure', {
        tiers: tierCatalog,
        ...(props.createEcsServiceLinkedRole !== undefined
          ? { createEcsServiceLinkedRole: props.createEcsServiceLinkedRole }
          : {}),
      });
      sharedInfrastructure = this.sharedInfrastructure.reference;
    } else if (props.sharedInfrastructure instanceof SharedInfrastructure) {
      sharedInfrastructure = props.sharedInfrastructure.reference;
    } else {
      sharedInfrastructure = props.sharedInfrastructure;
    }

    const published = publishedTemplates(tierCatalog, props.templates);
    this.templates = new TenantTemplatesBucket(this, 'TenantTemplates', { templates: published, logRetention });
    const routeListener = routeListenerFromReference(sharedInfrastructure, config.routeCapacity);
    this.tenantBoundary = new TenantPermissionsBoundary(this, 'TenantPermissionsBoundary', {
      stackNamePrefix: config.stackNamePrefix,
      repositoryArns: siloRepositoryArns(tierCatalog),
    });
    this.tenantStackRole = new TenantStackRole(this, 'TenantStackRole', {
      templates: published.map((entry) => entry.template),
      stackNamePrefix: config.stackNamePrefix,
      vpcId: sharedInfrastructure.vpcId,
      listenerArns: [routeListener.listenerArn],
      permissionsBoundaryArn: this.tenantBoundary.policy.managedPolicyArn,
      shared: {
        clusterName: sharedInfrastructure.sharedClusterName,
        targetGroupArns: [sharedInfrastructure.pooledTargetGroupArn],
        loadBalancerSecurityGroupId: sharedInfrastructure.loadBalancerSecurityGroupId,
      },
    });
    const tenantStackParameters = {
      ...sharedParametersFromReference(sharedInfrastructure),
      [permissionsBoundaryParameter]: this.tenantBoundary.policy.managedPolicyArn,
    };

    // Built from the workflows' names, so the functions never reference the state machines (no cycle).
    const stateMachineArns = {
      onboarding: workflowArn(stack, 'onboarding'),
      offboarding: workflowArn(stack, 'offboarding'),
      suspension: workflowArn(stack, 'suspension'),
      update: workflowArn(stack, 'update'),
    };
    const settings: Record<EnvironmentSetting, string> = {
      eventBusName: this.contract.eventBusName,
      controlPlaneSource: this.contract.controlPlaneSource,
      applicationPlaneSource: this.contract.applicationPlaneSource,
      acceptLegacyDetailTypes: String(this.contract.acceptLegacyDetailTypes),
      emitLegacyDetailTypes: String(this.contract.emitLegacyDetailTypes),
      registryTableName: this.tables.registry.tableName,
      idempotencyTableName: this.tables.idempotency.tableName,
      stackNamePrefix: config.stackNamePrefix,
      tenantStackParameters: stack.toJsonString(tenantStackParameters),
      templateBaseUrl: this.templates.baseUrl,
      tenantDomain: config.tenantDomain,
      cloudFormationRoleArn: this.tenantStackRole.role.roleArn,
      routeListeners: stack.toJsonString([routeListener]),
      stackTimeoutSeconds: String(config.stackTimeoutSeconds),
      servicesTimeoutSeconds: String(config.servicesTimeoutSeconds),
      stackQueueTimeoutSeconds: String(config.stackQueueTimeoutSeconds),
      maxStackOperations: String(config.maxConcurrentStackOperations),
      stackDriftChecksPerRun: String(config.stackDriftChecksPerRun),
      dataMigrationHookTimeoutSeconds: String(config.dataMigrationHook?.timeoutSeconds ?? 0),
      tombstoneSeconds: String(tombstoneLifetime.toSeconds()),
      onboardingStateMachineArn: stateMachineArns.onboarding,
      offboardingStateMachineArn: stateMachineArns.offboarding,
      suspensionStateMachineArn: stateMachineArns.suspension,
      updateStateMachineArn: stateMachineArns.update,
      rolloutWaveStateMachineArn: workflowArn(stack, 'rollout-wave'),
      publishedTemplateVersions: JSON.stringify(publishedVersionsByModel(published)),
      tierCatalog: tierCatalogJson,
      // The stack and services loops end on CloudFormation's and ECS's events (the resume rules below).
      eventDrivenWaits: 'true',
    };
    this.functions = new OrchestratorFunctions(this, 'Functions', {
      projectRoot: root,
      settings,
      logRetention,
      targets: {
        registry: this.tables.registryItems,
        tenantListArn: this.tables.tenantListArn,
        idempotency: this.tables.idempotency,
        bus: this.bus,
        applicationPlaneSource: this.contract.applicationPlaneSource,
        tenantStackRole: this.tenantStackRole.role,
        templatesBucket: this.templates.bucket,
        templateBaseUrl: this.templates.baseUrl,
        stackNamePrefix: config.stackNamePrefix,
        stackDriftChecks: config.stackDriftChecksPerRun > 0,
        listenerArns: [routeListener.listenerArn],
        executionArns: [
          workflowExecutionsArn(stack, 'onboarding'),
          workflowExecutionsArn(stack, 'offboarding'),
          workflowExecutionsArn(stack, 'suspension'),
          workflowExecutionsArn(stack, 'update'),
        ],
        stateMachineArns: Object.values(stateMachineArns),
        rollout: {
          startableStateMachineArns: [stateMachineArns.update, workflowArn(stack, 'rollout-wave')],
          updateExecutionArns: workflowExecutionsArn(stack, 'update'),
          waveExecutionArns: workflowExecutionsArn(stack, 'rollout-wave'),
        },
      },
    });
    const functionByDirectory = Object.fromEntries(
      Object.entries(this.functions.byDirectory).map(([directory, fn]) => [directory, fn.function]),
    );

    this.workflows = new Workflows(this, 'Workflows', {
      projectRoot: root,
      functions: functionByDirectory,
      logRetention,
      namePrefix: config.stackNamePrefix,
    });
    const tenantListProvider = new cr.Provider(this, 'TenantListProvider', {
      onEventHandler: this.functions.get(eventFunctions.indexTenants).function,
    });
    const frameworkRole = tenantListProvider.node.findChild('framework-onEvent').node.findChild('ServiceRole');
    Validations.of(frameworkRole).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "The CDK Provider framework's own function writes its logs with the basic execution role; it only relays the custom resource to the index-tenants function",
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.functions.get(eventFunctions.indexTenants).function.node.defaultChild as never)}.Arn>:*]`,
        reason:
          'The Provider framework invokes the index-tenants function by any version or alias (<function ARN>:*), which CDK grants; it is that one function',
      },
    );
    this.tenantList = new CustomResource(this, 'TenantList', {
      serviceToken: tenantListProvider.serviceToken,
      resourceType: 'Custom::TenantList',
      // A new value runs the backfill again on the next deployment (a release that changes the list's keys).
      properties: { listVersion: '1' },
    });
    // After every function was updated: a record the new accept step creates has the list's keys.
    this.tenantList.node.addDependency(this.functions);
    const failureReporter = this.functions.get(eventFunctions.reportFailure);
    const admission = this.functions.get(eventFunctions.admitRequest);
    this.eventWiring = new EventWiring(this, 'Events', {
      bus: this.bus,
      contract: this.contract,
      controlPlaneAccounts: config.controlPlaneAccounts ?? [stack.account],
      admission: admission.function,
      stateMachineArns: Object.values(stateMachineArns),
      failureReporter: failureReporter.function,
      resumer: this.functions.get(eventFunctions.resumeWait).function,
      stackArnPrefix: stack.formatArn({
        service: 'cloudformation',
        resource: 'stack',
        resourceName: `${config.stackNamePrefix}-`,
      }),
    });
    const workflowFunctionDirectories = Object.values(workflowFunctions);
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stateMachines: this.workflows.stateMachines,
      fleetStateMachines: this.workflows.fleetStateMachines,
      deadLetterQueues: {
        RequestDeadLetterQueue: this.eventWiring.requestDeadLetterQueue,
        FailureDeadLetterQueue: this.eventWiring.failureDeadLetterQueue,
      },
      failureReporter: failureReporter.function,
      failureReporterLogs: failureReporter.logGroup,
      failureSweep: this.functions.get(eventFunctions.sweepFailures).function,
      failureSweepLogs: this.functions.get(eventFunctions.sweepFailures).logGroup,
      reconcile: this.functions.get(eventFunctions.reconcile).function,
      admissionLogs: admission.logGroup,
      functions: functionByDirectory,
      workflowStepLogs: workflowFunctionDirectories.map((directory) => this.functions.byDirectory[directory].logGroup),
      ...(config.alarmTopicArn !== undefined ? { alarmTopicArn: config.alarmTopicArn } : {}),
    });

    // A SharedInfrastructure creates the role itself (its pooled services need it first).
    if (props.createEcsServiceLinkedRole === true && this.sharedInfrastructure === undefined) {
      if (props.sharedInfrastructure instanceof SharedInfrastructure)
        throw new Error(
          'TenantOrchestrator props: createEcsServiceLinkedRole: set it on the SharedInfrastructure given, whose pooled services need the role first',
        );
      createEcsServiceLinkedRole(this);
    }
    if (props.replyQueue === true) this.replyQueue = this.createReplyQueue();
    Tags.of(this).add(applicationTag.key, applicationTag.value);
    this.addOutputs(settings);
  }

  /**
   * A queue that receives a copy of every reply the orchestrator puts on the bus (the rule matches
   * our source and reply detail types), for the smoke test. Nothing else reads it.
   */
  private createReplyQueue(): sqs.Queue {
    const queue = new sqs.Queue(this, 'ReplyCopies', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The smoke test reads replies within minutes of the executions it starts.
      retentionPeriod: Duration.days(1),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'The reply queue only holds copies of replies the control plane receives from the bus itself; a copy that cannot be processed is only a smoke-test reading lost, with nothing to redrive',
    });
    new events.Rule(this, 'ReplyCopyRule', {
      eventBus: this.bus,
      description:
        "Copies the orchestrator's replies to the reply queue (replyQueue: true), where the smoke test reads them",
      eventPattern: {
        source: [this.contract.applicationPlaneSource],
        detailType: replyDetailTypes(this.contract),
        account: [Stack.of(this).account],
      },
      targets: [new targets.SqsQueue(queue)],
    });
    return queue;
  }

  /**
   * Lets the application answer the tier change's data migration hook: SendTaskSuccess,
   * SendTaskFailure and SendTaskHeartbeat on the update workflow only (CDK's grantTaskResponse,
   * resource `arn:aws:states:<region>:<account>:stateMachine:<update workflow name>`).
   */
  public grantDataMigrationAnswer(grantee: iam.IGrantable): iam.Grant {
    return this.workflows.stateMachines.update.grantTaskResponse(grantee);
  }

  private addOutputs(settings: Readonly<Record<EnvironmentSetting, string>>): void {
    const outputs: Record<string, string> = {
      EventBusName: this.bus.eventBusName,
      RegistryTableName: this.tables.registry.tableName,
      OnboardingStateMachineArn: this.workflows.stateMachines.onboarding.stateMachineArn,
      OffboardingStateMachineArn: this.workflows.stateMachines.offboarding.stateMachineArn,
      SuspensionStateMachineArn: this.workflows.stateMachines.suspension.stateMachineArn,
      UpdateStateMachineArn: this.workflows.stateMachines.update.stateMachineArn,
      RolloutStateMachineArn: this.workflows.fleetStateMachines.rollout.stateMachineArn,
      TemplatesBucketName: this.templates.bucket.bucketName,
      RequestDeadLetterQueueUrl: this.eventWiring.requestDeadLetterQueue.queueUrl,
      FailureDeadLetterQueueUrl: this.eventWiring.failureDeadLetterQueue.queueUrl,
      // What `reconcile --aws` compares, and the role `--repair` deletes orphaned stacks with.
      TenantStackNamePrefix: settings.stackNamePrefix,
      RouteListeners: settings.routeListeners,
      TenantStackRoleArn: this.tenantStackRole.role.roleArn,
    };
    if (this.replyQueue !== undefined) outputs.ReplyQueueUrl = this.replyQueue.queueUrl;
    // The names the command line reads (cli/aws/deployment.ts), wherever the construct sits in the tree.
    for (const [name, value] of Object.entries(outputs)) new CfnOutput(this, name, { value }).overrideLogicalId(name);
  }
}

/**
 * Every shipped version of every silo model's template (infra/tenant-templates/versions): tenants
 * created from an older version keep theirs, and a rollout or rollback can move a tenant to any of
 * them. The catalog's version of each model (what new tenants get) must be one of them.
 */
export function publishedTemplates(
  catalog: TierCatalog,
  templates: readonly PublishedTemplate[] = shippedTemplates(),
): PublishedTemplate[] {
  const shipped = [...templates];
  for (const [model, version] of Object.entries(catalog.templateVersions) as [SiloIsolationModel, string][]) {
    if (!shipped.some((entry) => entry.model === model && entry.version === version)) {
      const versions = shipped.filter((entry) => entry.model === model).map((entry) => entry.version);
      throw new Error(
        `the tier catalog gives new ${model} tenants template version ${version}, which is not shipped ` +
          `(shipped: ${versions.join(', ') || 'none'}); ship it with npm run templates:freeze -- --model ${model} --version ${version}`,
      );
    }
  }
  return shipped;
}

/**
 * The versions the update workflow may move a tenant to: exactly the templates this stack
 * publishes, per isolation model (PUBLISHED_TEMPLATE_VERSIONS of the accept step).
 */
export function publishedVersionsByModel(published: readonly PublishedTemplate[]): Record<string, string[]> {
  const versions: Record<string, string[]> = {};
  for (const entry of published) (versions[entry.model] ??= []).push(entry.version);
  return versions;
}
