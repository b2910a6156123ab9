import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { requestEventPattern, type ContractConfig, type Operation } from '../../events/contract.ts';
import { allFunctionDirectories, eventFunctions, workflowFunctions } from '../../functions/lambda-functions.ts';
import {
  environmentVariables,
  readMaxStackOperations,
  readRouteListeners,
} from '../../functions/shared/config/environment.ts';
import { builtInTierCatalog } from '../../functions/shared/config/catalog.ts';
import { tableDefinitions } from '../../functions/shared/registry/tables.ts';
import { buildApp, stackIds, type BuiltApp } from '../../infra/app.ts';
import { loadOrchestratorConfig, projectRoot, type OrchestratorConfig } from '../../infra/config.ts';
import { maxEnvironmentBytes } from '../../infra/constructs/function-environment.ts';
import { TenantStackRole } from '../../infra/constructs/tenant-stack-role.ts';
import {
  definitionPlaceholders,
  definitionSubstitutions,
  workflowDefinitionFiles,
} from '../../infra/constructs/workflows.ts';
import {
  applicationTag,
  orchestratorDefaults,
  publishedTemplates,
  TenantOrchestrator,
  type TenantOrchestratorProps,
} from '../../infra/tenant-orchestrator.ts';
import { shippedTemplates, shippedVersions } from '../../infra/tenant-templates/versions.ts';
import { sharedParametersFromReference } from '../../infra/shared-infrastructure.ts';
import { tenantTemplateKey } from '../../infra/tenant-templates/synthesize.ts';
import { nagApp, nagFindings, type NagFinding } from './nag.ts';
import type { Json } from './template-json.ts';

const noBundling = { 'aws:cdk:bundling-stacks': [] };
const existingReference = {
  vpcId: 'vpc-0a1b2c3d4e5f67890',
  privateSubnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0f1e2d3c4b5a69788'],
  listenerArn:
    'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/tenants/50dc6c495c0c9188/f2f7dc8efc522ab2',
  loadBalancerSecurityGroupId: 'sg-0a1b2c3d4e5f67890',
  sharedClusterName: 'shared-tenants',
  pooledTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/pooled/73e2d6bc24d8a067',
};
const deployConfig = loadOrchestratorConfig({
  eventBusName: 'saas-bus',
  tenantDomain: 'tenants.example.com',
  sharedInfrastructure: { mode: 'deploy' },
});
const existingConfig = loadOrchestratorConfig({
  eventBusName: 'saas-bus',
  createEventBus: true,
  acceptLegacyDetailTypes: false,
  tenantDomain: 'tenants.example.com',
  stackNamePrefix: 'acme',
  routeCapacity: 40,
  maxConcurrentStackOperations: 7,
  createEcsServiceLinkedRole: true,
  logRetentionDays: 30,
  alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:ops',
  sharedInfrastructure: { mode: 'existing', ...existingReference },
  controlPlaneAccounts: ['444455556666', '777788889999'],
});

interface Synthesized {
  readonly built: BuiltApp;
  readonly template: Template;
  readonly json: Json;
  readonly findings: NagFinding[];
}
function synthesize(config: OrchestratorConfig): Synthesized {
  const app = nagApp(noBundling);
  const built = buildApp({ app, config, env: { account: '111122223333', region: 'eu-west-1' } });
  const findings = nagFindings(app);
  // Read what that synth wrote: synthesizing again would throw on findings and hide every other test.
  const json = JSON.parse(readFileSync(join(app.outdir, built.stacks.orchestrator.templateFile), 'utf8')) as Json;
  return { built, template: Template.fromJSON(json), json, findings };
}

let deploy: Synthesized;
let existing: Synthesized;
beforeAll(() => {
  deploy = synthesize(deployConfig);
  existing = synthesize(existingConfig);
}, 120_000);

const resourcesOf = (s: Synthesized, type: string) =>
  Object.entries(s.json.Resources as Json).filter(([, r]) => r.Type === type) as [string, Json][];
/** The rule on the default bus that matches Step Functions status changes (the failure sweep's schedule rule has no pattern). */
const statusChangeRules = (s: Synthesized) =>
  resourcesOf(s, 'AWS::Events::Rule').filter(
    ([, r]) => r.Properties.EventBusName === undefined && r.Properties.EventPattern !== undefined,
  ) as [[string, Json]];
const contractOf = (config: OrchestratorConfig): ContractConfig => ({ ...config });
/** The orchestrator's functions by POWERTOOLS_SERVICE_NAME (CDK's own BucketDeployment handler has none). */
function functionsOf(s: Synthesized): Map<string, { logicalId: string; props: Json }> {
  const found = new Map<string, { logicalId: string; props: Json }>();
  for (const [logicalId, r] of resourcesOf(s, 'AWS::Lambda::Function')) {
    const service = r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME;
    if (typeof service === 'string') found.set(service, { logicalId, props: r.Properties });
  }
  return found;
}
/** What a Ref inside a joined string (the boundary's ARN in TENANT_STACK_PARAMETERS) renders as. */
const renderedArn = 'arn:aws:iam::111122223333:policy/rendered';
/** A template value as the function would see it: joins joined, other intrinsics replaced by a stand-in. */
const render = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : Array.isArray((value as Json)['Fn::Join'])
      ? ((value as Json)['Fn::Join'][1] as unknown[])
          .map((part) => (typeof part === 'string' ? part : renderedArn))
          .join((value as Json)['Fn::Join'][0])
      : `resolved-${JSON.stringify(value).length}`;
const renderEnvironment = (variables: Json): Record<string, string> =>
  Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, render(value)]));
/** Variables the CDK app sets for the runtime and the logger, not for the handlers' readers. */
const runtimeVariables = new Set(['POWERTOOLS_SERVICE_NAME', 'NODE_OPTIONS']);
/**
 * Loads a handler module afresh, as a cold start does, with `env` in place of every variable the
 * functions read; rejects with what the module threw.
 */
async function coldStart(directory: string, env: Readonly<Record<string, string>>): Promise<void> {
  const saved = { ...process.env };
  for (const name of Object.values(environmentVariables)) delete process.env[name];
  Object.assign(process.env, env);
  vi.resetModules();
  try {
    await import(`../../functions/${directory}/handler.ts`);
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}
/** Statements of every policy attached to a role (by the role's logical id). */
function statementsOfRole(s: Synthesized, roleLogicalId: string): Json[] {
  return resourcesOf(s, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Json[]).some((role) => role.Ref === roleLogicalId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
}
const actionsOf = (statements: Json[]) =>
  [...new Set(statements.flatMap((st) => [st.Action].flat() as string[]))].sort();
const loadTiers = () => deploy.built.tierCatalog;
const tenantStackRoles = (s: Synthesized) =>
  resourcesOf(s, 'AWS::IAM::Role').filter(([, r]) =>
    JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('cloudformation.amazonaws.com'),
  ) as [[string, Json]];

describe('event rules', () => {
  it.each([['onboarding'], ['offboarding']] as [Operation][])(
    "routes %s requests with the contract's own pattern, from the control plane's accounts only, to the admission function",
    (operation) => {
      // Default: the deploying account; else the configured ones.
      for (const [s, accounts] of [
        [deploy, ['111122223333']],
        [existing, ['444455556666', '777788889999']],
      ] as const) {
        const config = s.built.config;
        const rules = resourcesOf(s, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventBusName !== undefined);
        const expected = { ...requestEventPattern(contractOf(config), operation), account: accounts };
        const rule = rules.find(([, r]) => isDeepStrictEqual(r.Properties.EventPattern, expected));

        expect(rule, JSON.stringify(rules.map(([, r]) => r.Properties.EventPattern))).toBeDefined();
        expect(rule![1].Properties.Targets).toEqual([
          expect.objectContaining({ Arn: { 'Fn::GetAtt': [functionsOf(s).get('admit-request')!.logicalId, 'Arn'] } }),
        ]);
      }
      expect(requestEventPattern(contractOf(existingConfig), operation)['detail-type']).toHaveLength(1);
    },
  );

  it('no rule starts a workflow directly: only the admission function may start the request workflows, and the rollout only updates and its waves', () => {
    const targets = resourcesOf(deploy, 'AWS::Events::Rule').flatMap(([, r]) => r.Properties.Targets as Json[]);
    const machines = resourcesOf(deploy, 'AWS::StepFunctions::StateMachine')
      .map(([, sm]) => sm.Properties.StateMachineName as string)
      .filter((name) => !name.includes('-tenant-rollout'));
    const starters = resourcesOf(deploy, 'AWS::IAM::Policy')
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[])
      .filter((st) => [st.Action].flat().includes('states:StartExecution'));
    const started = (statement: Json) =>
      [statement.Resource].flat().map((arn: Json) => JSON.stringify(arn).match(/:stateMachine:([^"]+)"/)?.[1]);

    expect(targets.every((target) => target.RoleArn === undefined)).toBe(true);
    expect(starters).toHaveLength(2);
    const admission = functionsOf(deploy).get('admit-request')!;
    const admissionStarts = starters.find((statement) =>
      statementsOfRole(deploy, admission.props.Role['Fn::GetAtt'][0]).some(
        (own) => JSON.stringify(own) === JSON.stringify(statement),
      ),
    );
    expect(started(admissionStarts!).sort()).toEqual(machines.sort());
    const rollout = functionsOf(deploy).get('rollout-executions')!;
    const rolloutStarts = starters.find((statement) => statement !== admissionStarts);
    expect(statementsOfRole(deploy, rollout.props.Role['Fn::GetAtt'][0])).toContainEqual(rolloutStarts);
    expect(
      started(rolloutStarts!)
        .map((name) => name?.replace(/^.*-tenant-/, ''))
        .sort(),
    ).toEqual(['rollout-wave', 'update']);
  });

  it('gives every target a retry policy and a dead-letter queue that is encrypted, SSL-only and keeps 14 days', () => {
    // The failure sweep's schedule is tested in failure-sweep.test.ts: a missed run is covered by the next one.
    const eventRules = resourcesOf(deploy, 'AWS::Events::Rule').filter(
      ([, r]) => r.Properties.ScheduleExpression === undefined,
    );
    // The resume rules (CloudFormation's and ECS's events) are apart: an event they lose costs time only.
    const isResumeRule = (rule: Json) =>
      ['aws.cloudformation', 'aws.ecs'].includes(String((rule.Properties.EventPattern as Json).source?.[0]));
    const rules = eventRules.filter(([, rule]) => !isResumeRule(rule));
    // Four request rules (onboarding, offboarding, suspension, update) and the failed-executions rule.
    expect(rules).toHaveLength(5);
    for (const [, rule] of rules) {
      for (const target of rule.Properties.Targets as Json[]) {
        expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 });
        expect(target.DeadLetterConfig.Arn['Fn::GetAtt'][1]).toBe('Arn');
      }
    }
    const queues = resourcesOf(deploy, 'AWS::SQS::Queue');
    expect(queues).toHaveLength(2);
    for (const [logicalId, queue] of queues) {
      expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
      deploy.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('hands tenant stacks at rest and ECS steady-state and deployment events to the resumer, retried for minutes, with no dead letters', () => {
    const rules = resourcesOf(deploy, 'AWS::Events::Rule').filter(([, rule]) =>
      ['aws.cloudformation', 'aws.ecs'].includes(String((rule.Properties.EventPattern as Json)?.source?.[0])),
    );
    expect(rules.map(([, rule]) => (rule.Properties.EventPattern as Json)['detail-type'])).toEqual([
      ['CloudFormation Stack Status Change'],
      ['ECS Service Action', 'ECS Deployment State Change'],
    ]);
    const [[, stackRule]] = rules as [[string, Json]];
    // Tenant stacks only: ARNs under the stack name prefix, and statuses with no operation under way.
    expect(JSON.stringify(stackRule.Properties.EventPattern.resources)).toContain(':stack/tenant-');
    expect(stackRule.Properties.EventPattern.detail['status-details'].status).not.toContain('CREATE_IN_PROGRESS');
    for (const [, rule] of rules) {
      // The default bus: AWS services put their events there.
      expect(rule.Properties.EventBusName).toBeUndefined();
      for (const target of rule.Properties.Targets as Json[]) {
        expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 });
        expect(target.DeadLetterConfig).toBeUndefined();
        expect(JSON.stringify(target.Arn)).toContain('ResumeWait');
      }
    }
  });

  it('hands failed, timed-out and aborted executions of the two workflows to the failure reporter', () => {
    const [[, rule]] = statusChangeRules(deploy);
    // A rollout replies to no control plane: its failures are not the reporter's.
    const names = resourcesOf(deploy, 'AWS::StepFunctions::StateMachine')
      .map(([, sm]) => sm.Properties.StateMachineName as string)
      .filter((name) => !name.includes('-tenant-rollout'));
    const { source, 'detail-type': detailType, detail } = rule.Properties.EventPattern;

    expect(source).toEqual(['aws.states']);
    expect(detailType).toEqual(['Step Functions Execution Status Change']);
    expect(detail.status).toEqual(['FAILED', 'TIMED_OUT', 'ABORTED']);
    expect(
      detail.stateMachineArn.map((arn: Json) => JSON.stringify(arn).match(/:stateMachine:([^"]+)"/)?.[1]).sort(),
    ).toEqual(names.sort());
    expect(rule.Properties.Targets[0].Arn).toEqual({
      'Fn::GetAtt': [functionsOf(deploy).get('report-failure')!.logicalId, 'Arn'],
    });
  });

  it.each([
    ['report-failure', 'failure reporter'],
    ['admit-request', 'admission'],
  ] as const)(
    'sends a %s invocation that keeps failing to the same dead-letter queue as undeliverable events',
    (directory, _role) => {
      const fn = functionsOf(deploy).get(directory)!;
      // The rules that deliver events to it (the sweep's schedule targets another function).
      const rules = resourcesOf(deploy, 'AWS::Events::Rule').filter(([, r]) =>
        JSON.stringify(r.Properties.Targets ?? []).includes(`"${fn.logicalId}"`),
      );
      const configs = resourcesOf(deploy, 'AWS::Lambda::EventInvokeConfig').filter(
        ([, c]) => c.Properties.FunctionName.Ref === fn.logicalId,
      );

      expect(configs).toHaveLength(1);
      const [[, invokeConfig]] = configs as [[string, Json]];
      expect(invokeConfig.Properties.MaximumRetryAttempts).toBe(2);
      expect(rules.length).toBeGreaterThan(0);
      for (const [, rule] of rules)
        expect(invokeConfig.Properties.DestinationConfig.OnFailure.Destination).toEqual(
          rule.Properties.Targets[0].DeadLetterConfig.Arn,
        );
    },
  );
});

describe('monitoring', () => {
  const alarmsOn = (s: Synthesized, metricName: string) =>
    resourcesOf(s, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.MetricName === metricName);

  it('alarms on failed, timed-out and aborted executions of each request workflow', () => {
    const machines = resourcesOf(deploy, 'AWS::StepFunctions::StateMachine')
      .filter(([, sm]) => !String(sm.Properties.StateMachineName).includes('-tenant-rollout'))
      .map(([id]) => id);
    const fleetMachines = resourcesOf(deploy, 'AWS::StepFunctions::StateMachine')
      .map(([id]) => id)
      .filter((id) => !machines.includes(id));
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      // The rollout's alarms are the next test's.
      const alarmed = alarmsOn(deploy, metric)
        .map(([, a]) => a.Properties.Dimensions[0].Value.Ref)
        .filter((ref) => !fleetMachines.includes(ref));
      expect(alarmed.sort()).toEqual([...machines].sort());
    }
  });

  it('alarms on failed and timed-out executions of the rollout and of its wave pages, not on aborted ones', () => {
    const fleetMachines = resourcesOf(deploy, 'AWS::StepFunctions::StateMachine')
      .filter(([, sm]) => String(sm.Properties.StateMachineName).includes('-tenant-rollout'))
      .map(([id]) => id)
      .sort();
    expect(fleetMachines).toHaveLength(2);
    const fleetAlarms = (metric: string) =>
      alarmsOn(deploy, metric).filter(([, a]) => fleetMachines.includes(a.Properties.Dimensions[0].Value.Ref));
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      const alarmed = fleetAlarms(metric);
      expect(alarmed.map(([, a]) => a.Properties.Dimensions[0].Value.Ref).sort()).toEqual(fleetMachines);
      for (const [, alarm] of alarmed) {
        expect(alarm.Properties).toMatchObject({
          Namespace: 'AWS/States',
          Statistic: 'Sum',
          Period: 300,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
        // No failure reply exists for a rollout: the description must not promise one.
        expect(alarm.Properties.AlarmDescription).toMatch(/No reply goes to the control plane/);
      }
    }
    expect(fleetAlarms('ExecutionsAborted')).toEqual([]);
  });

  it('alarms on each dead-letter queue holding a message, on reporter errors and on unanswerable rejections', () => {
    const queues = resourcesOf(deploy, 'AWS::SQS::Queue').map(([id]) => id);
    const depth = alarmsOn(deploy, 'ApproximateNumberOfMessagesVisible');
    expect(depth.map(([, a]) => a.Properties.Dimensions[0].Value['Fn::GetAtt'][0]).sort()).toEqual(queues.sort());
    for (const [, alarm] of depth)
      expect(alarm.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });

    const reporter = functionsOf(deploy).get('report-failure')!;
    const sweep = functionsOf(deploy).get('sweep-failures')!;
    const reconcile = functionsOf(deploy).get('reconcile')!;
    expect(
      alarmsOn(deploy, 'Errors')
        .map(([, a]) => a.Properties.Dimensions[0].Value.Ref)
        .sort(),
    ).toEqual([reporter.logicalId, sweep.logicalId, reconcile.logicalId].sort());
    // The reconciliation's findings: its total, written on every run without dimensions.
    const findings = alarmsOn(deploy, 'ReconcileFindings');
    expect(findings).toHaveLength(1);
    expect(findings[0]![1].Properties).toMatchObject({
      Namespace: 'TenantOrchestrator',
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(findings[0]![1].Properties.Dimensions).toBeUndefined();
    // The admission function, the reporter and the sweep log unanswerable requests; their filters feed one alarmed metric.
    const admission = functionsOf(deploy).get('admit-request')!;
    const filters = resourcesOf(deploy, 'AWS::Logs::MetricFilter')
      .map(([, f]) => f.Properties as Json)
      .filter((filter) => filter.FilterPattern === '{ $.rejected IS TRUE }');
    const logGroups = [reporter, sweep, admission].map((fn) => fn.props.LoggingConfig.LogGroup.Ref).sort();
    expect(filters.map((filter) => filter.LogGroupName.Ref).sort()).toEqual(logGroups);
    expect(new Set(filters.map((filter) => JSON.stringify(filter.MetricTransformations)))).toHaveProperty('size', 1);
    const { MetricName, MetricNamespace } = filters[0]!.MetricTransformations[0];
    expect(
      resourcesOf(deploy, 'AWS::CloudWatch::Alarm').filter(
        ([, a]) => a.Properties.MetricName === MetricName && a.Properties.Namespace === MetricNamespace,
      ),
    ).toHaveLength(1);
  });

  it('notifies an encrypted topic of its own, or the configured one', () => {
    const [[topicId, topic]] = resourcesOf(deploy, 'AWS::SNS::Topic') as [[string, Json]];
    expect(topic.Properties.KmsMasterKeyId['Fn::GetAtt'][1]).toBe('Arn');
    for (const [, alarm] of resourcesOf(deploy, 'AWS::CloudWatch::Alarm'))
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    existing.template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const [, alarm] of resourcesOf(existing, 'AWS::CloudWatch::Alarm'))
      expect(alarm.Properties.AlarmActions).toEqual([existingConfig.alarmTopicArn]);
    deploy.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('tables', () => {
  it('keeps the registry: point-in-time recovery, deletion protection, retained with the stack', () => {
    const { registry, idempotency } = tableDefinitions;
    deploy.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: registry.partitionKey, KeyType: 'HASH' },
          { AttributeName: registry.sortKey, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    });
    deploy.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: idempotency.partitionKey, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });
});

describe('the tenant list', () => {
  const { registry } = tableDefinitions;
  const registryOf = (s: Synthesized) =>
    resourcesOf(s, 'AWS::DynamoDB::Table').find(([, table]) =>
      JSON.stringify(table.Properties.KeySchema).includes(`"${registry.sortKey}"`),
    )!;

  it('is a sparse index of the registry keyed by the list keys, projecting what a rollout selects by', () => {
    const [, table] = registryOf(deploy);
    expect(table.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: registry.tenantList.indexName,
        KeySchema: [
          { AttributeName: registry.tenantList.partitionKey, KeyType: 'HASH' },
          { AttributeName: registry.tenantList.sortKey, KeyType: 'RANGE' },
        ],
        Projection: {
          ProjectionType: 'INCLUDE',
          NonKeyAttributes: ['tenantId', 'status', 'tier', 'plan', 'pinned', 'tierChange', 'createdAt'],
        },
      },
    ]);
  });

  it('lets plan-rollout Query the list and GetItem only the item that says it is complete, and Scan nothing', () => {
    const [registryLogicalId] = registryOf(deploy);
    const { props } = functionsOf(deploy).get('plan-rollout')!;
    const statements = statementsOfRole(deploy, props.Role['Fn::GetAtt'][0]).filter((st) =>
      [st.Action].flat().some((action: string) => action.startsWith('dynamodb:')),
    );
    const tableArn = { 'Fn::GetAtt': [registryLogicalId, 'Arn'] };

    expect(statements).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:Query',
        Resource: { 'Fn::Join': ['', [tableArn, `/index/${registry.tenantList.indexName}`]] },
      }),
      expect.objectContaining({
        Action: 'dynamodb:GetItem',
        Resource: tableArn,
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['REGISTRY'] } },
      }),
    ]);
  });

  it("leaves every other function's registry grants on the table itself, none on its indexes", () => {
    const [registryLogicalId] = registryOf(deploy);
    for (const [service, { props }] of functionsOf(deploy)) {
      if (service === 'plan-rollout') continue;
      const resources = statementsOfRole(deploy, props.Role['Fn::GetAtt'][0])
        .filter((st) => [st.Action].flat().some((action: string) => action.startsWith('dynamodb:')))
        .flatMap((st) => [st.Resource].flat());
      for (const resource of resources.filter((r) => JSON.stringify(r).includes(registryLogicalId)))
        expect(resource, service).toEqual({ 'Fn::GetAtt': [registryLogicalId, 'Arn'] });
    }
  });
});

describe('state machines', () => {
  it('are Standard, named after the stack, with every placeholder substituted by its function', () => {
    const functions = functionsOf(deploy);
    for (const [operation, file] of Object.entries(workflowDefinitionFiles)) {
      const [[, machine]] = resourcesOf(deploy, 'AWS::StepFunctions::StateMachine').filter(
        ([, sm]) => sm.Properties.StateMachineName === `${stackIds.orchestrator}-tenant-${operation}`,
      ) as [[string, Json]];
      const { DefinitionString: definition, DefinitionSubstitutions: substitutions } = machine.Properties;
      const substituted = (definition as string).replace(/\$\{(\w+)\}/g, (text, name: string) =>
        substitutions[name] ? `arn:${name}` : text,
      );

      expect(definition).toBe(readFileSync(join(projectRoot, file), 'utf8'));
      expect(substituted).not.toContain('${');
      for (const [placeholder, arn] of Object.entries(substitutions as Record<string, Json>)) {
        const directory = workflowFunctions[placeholder as keyof typeof workflowFunctions];
        expect(arn).toEqual({ 'Fn::GetAtt': [functions.get(directory)!.logicalId, 'Arn'] });
      }
      expect(machine.Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      });
      const invoke = statementsOfRole(deploy, machine.Properties.RoleArn['Fn::GetAtt'][0]).filter(
        (st) => st.Action === 'lambda:InvokeFunction',
      );
      expect(invoke.flatMap((st) => st.Resource)).toEqual(Object.values(substitutions));
    }
  });

  it('fails synth for a placeholder no function is declared for', () => {
    expect(
      definitionPlaceholders('{"A":"${XFunctionArn}","B":"${XFunctionArn}","C":"${AcceptRequestFunctionArn}"}'),
    ).toEqual(['XFunctionArn', 'AcceptRequestFunctionArn']);
    expect(() =>
      definitionSubstitutions('x.asl.json', '{"Resource":"${MissingFunctionArn}"}', { 'accept-request': 'arn' }),
    ).toThrow(/x\.asl\.json: placeholder \$\{MissingFunctionArn\} has no function/);
  });
});

describe('the tenant list at deployment', () => {
  it('runs index-tenants as a custom resource, after every function was updated', () => {
    const [[logicalId, resource]] = resourcesOf(deploy, 'Custom::TenantList') as [[string, Json]];
    expect(resource.Properties.listVersion).toBe('1');
    const dependsOn = (resource.DependsOn ?? []) as string[];
    const functions = functionsOf(deploy);
    for (const { logicalId: fn } of functions.values()) expect(dependsOn, `${logicalId} after ${fn}`).toContain(fn);
    // The Provider framework invokes the index-tenants function.
    const indexTenants = functions.get(eventFunctions.indexTenants)?.logicalId;
    expect(JSON.stringify(deploy.template.toJSON())).toContain(`"${indexTenants}"`);
  });
});

describe('functions', () => {
  it('are one Node.js 24 arm64 function per directory, traced, JSON-logged to their own retained log group', () => {
    const functions = functionsOf(deploy);
    expect([...functions.keys()].sort()).toEqual([...allFunctionDirectories].sort());
    for (const [directory, { props }] of functions) {
      // Workflow steps get the timeout the execution budget is computed with; the reporter runs outside the
      // workflows; the reconciliation reads the whole fleet one call after the other.
      const timeout =
        directory === eventFunctions.reconcile || directory === eventFunctions.indexTenants
          ? 300
          : (Object.values(eventFunctions) as string[]).includes(directory)
            ? 60
            : 20;
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: timeout,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON' },
      });
      deploy.template.hasResource('AWS::Logs::LogGroup', {
        Properties: { RetentionInDays: deployConfig.logRetentionDays },
        DeletionPolicy: 'Retain',
      });
      expect(resourcesOf(deploy, 'AWS::Logs::LogGroup').map(([id]) => id)).toContain(props.LoggingConfig.LogGroup.Ref);
      const role = resourcesOf(deploy, 'AWS::IAM::Role').find(([id]) => id === props.Role['Fn::GetAtt'][0])![1];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('give each handler exactly the variables it reads at cold start, under 4 KB', async () => {
    for (const s of [deploy, existing]) {
      for (const [directory, { props }] of functionsOf(s)) {
        const env = renderEnvironment(props.Environment.Variables);
        expect(env, directory).toMatchObject({ POWERTOOLS_SERVICE_NAME: directory, NODE_OPTIONS: expect.any(String) });
        expect(JSON.stringify(props.Environment.Variables).length).toBeLessThan(maxEnvironmentBytes);

        // Everything it reads is there...
        await expect(coldStart(directory, env), directory).resolves.toBeUndefined();
        // ...and nothing it does not read: without any one variable, it fails at cold start naming it.
        for (const name of Object.keys(env).filter((key) => !runtimeVariables.has(key))) {
          const { [name]: _removed, ...without } = env;
          await expect(coldStart(directory, without), `${directory} without ${name}`).rejects.toThrow(
            new RegExp(`^Environment variable ${name} `),
          );
        }
      }
    }
  });

  it('pass literal values of existing infrastructure that the readers parse', () => {
    const plan = functionsOf(existing).get('plan-tenant')!.props.Environment.Variables;
    const route = functionsOf(existing).get('register-route')!.props.Environment.Variables;
    expect(JSON.parse(render(plan.TENANT_STACK_PARAMETERS))).toEqual({
      ...sharedParametersFromReference(existingReference),
      PermissionsBoundaryArn: renderedArn,
    });
    expect(readMaxStackOperations(functionsOf(existing).get('converge-stacks')!.props.Environment.Variables)).toBe(7);
    expect(readRouteListeners(route)).toEqual([
      {
        listenerArn: existingReference.listenerArn,
        capacity: 40,
        pooledTargetGroupArn: existingReference.pooledTargetGroupArn,
      },
    ]);
    const [[bucketId]] = resourcesOf(existing, 'AWS::S3::Bucket').filter(
      ([, b]) => b.Properties.VersioningConfiguration !== undefined,
    ) as [[string, Json]];
    expect(plan.TEMPLATE_BASE_URL).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [bucketId, 'RegionalDomainName'] }]],
    });
    // The update workflow's accept step knows exactly the versions the stack publishes.
    const accept = functionsOf(existing).get('accept-request')!.props.Environment.Variables;
    expect(accept.TEMPLATE_BASE_URL).toEqual(plan.TEMPLATE_BASE_URL);
    expect(JSON.parse(render(accept.PUBLISHED_TEMPLATE_VERSIONS))).toEqual({
      'silo-services': shippedVersions('silo-services'),
      'silo-cluster': shippedVersions('silo-cluster'),
    });
    expect(shippedVersions('silo-services')).toEqual(expect.arrayContaining(['1.0.0', '1.1.0']));
  });
});

describe('IAM', () => {
  /** Actions AWS only authorizes on Resource "*"; each is acknowledged with that reason. */
  const anyResourceActions = new Set([
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'xray:GetSamplingRules',
    'xray:GetSamplingTargets',
    'logs:CreateLogDelivery',
    'logs:GetLogDelivery',
    'logs:UpdateLogDelivery',
    'logs:DeleteLogDelivery',
    'logs:ListLogDeliveries',
    'logs:PutResourcePolicy',
    'logs:DescribeResourcePolicies',
    'logs:DescribeLogGroups',
    'elasticloadbalancing:DescribeRules',
    'elasticloadbalancing:DescribeTags',
    'cloudformation:ListStacks',
    'elasticloadbalancing:DescribeTargetGroups',
    'elasticloadbalancing:DescribeTargetGroupAttributes',
    'ecs:RegisterTaskDefinition',
    'ecs:DeregisterTaskDefinition',
    'ecs:DescribeTaskDefinition',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeSecurityGroupRules',
  ]);

  it('has no "*" action, and Resource "*" only for actions without resource-level permissions', () => {
    for (const s of [deploy, existing]) {
      for (const [, policy] of resourcesOf(s, 'AWS::IAM::Policy')) {
        for (const statement of policy.Properties.PolicyDocument.Statement as Json[]) {
          const actions = [statement.Action].flat() as string[];
          expect(actions.filter((action) => action === '*' || action.endsWith(':*'))).toEqual([]);
          if (statement.Effect === 'Allow' && [statement.Resource].flat().includes('*'))
            expect(actions.filter((action) => !anyResourceActions.has(action))).toEqual([]);
        }
      }
    }
  });

  const ddb = (...names: string[]) => names.map((name) => `dynamodb:${name}`);
  const expectedActions: Record<string, string[]> = {
    'accept-request': [...ddb('GetItem', 'PutItem', 'UpdateItem'), 'states:DescribeExecution'],
    'plan-tenant': ddb('UpdateItem'),
    'converge-stacks': [
      'cloudformation:CreateStack',
      'cloudformation:DeleteStack',
      'cloudformation:DescribeStackEvents',
      'cloudformation:DescribeStacks',
      'cloudformation:UpdateStack',
      'iam:PassRole',
      's3:GetObject',
      ...ddb('Query', 'PutItem', 'UpdateItem', 'DeleteItem'),
    ],
    'register-route': [
      ...ddb('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'),
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:CreateRule',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DescribeTags',
    ],
    'remove-route': [
      ...ddb('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'),
      'elasticloadbalancing:DeleteRule',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DescribeTags',
    ],
    'set-route-action': [...ddb('UpdateItem'), 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:ModifyRule'],
    'change-tier': [
      ...ddb('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'),
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:CreateRule',
      'elasticloadbalancing:DeleteRule',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DescribeTags',
    ],
    'check-services': [...ddb('UpdateItem'), 'ecs:DescribeServices'],
    'complete-operation': ddb('GetItem', 'UpdateItem', 'DeleteItem'),
    'send-reply': ['events:PutEvents', ...ddb('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem')],
    // The sqs actions come from the on-failure destination (the failure dead-letter queue only).
    'report-failure': [
      'events:PutEvents',
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
      ...ddb('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'),
    ],
    'sweep-failures': [
      'events:PutEvents',
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'states:ListExecutions',
      ...ddb('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'),
    ],
    // The sqs actions come from the on-failure destination (the request dead-letter queue only).
    'admit-request': ['states:StartExecution', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
  };

  it.each(Object.entries(expectedActions))('grants %s exactly the calls it makes', (directory, actions) => {
    const { props } = functionsOf(deploy).get(directory)!;
    const statements = statementsOfRole(deploy, props.Role['Fn::GetAtt'][0]);
    expect(actionsOf(statements)).toEqual(
      [
        ...new Set([
          ...actions,
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ]),
      ].sort(),
    );
    expect(
      statements.some((st) =>
        [st.Action].flat().some((a: string) => a.startsWith('dynamodb:Transact') || a.startsWith('dynamodb:Batch')),
      ),
    ).toBe(false);
  });

  it('lets converge-stacks pass only the tenant stack role, which CloudFormation alone assumes', () => {
    const [[roleId, role]] = tenantStackRoles(deploy);
    const converge = functionsOf(deploy).get('converge-stacks')!.props;
    const passRole = statementsOfRole(deploy, converge.Role['Fn::GetAtt'][0]).find(
      (st) => st.Action === 'iam:PassRole',
    )!;

    expect(passRole.Resource).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } });
    expect(converge.Environment.Variables.CLOUDFORMATION_ROLE_ARN).toEqual(passRole.Resource);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('gives the tenant stack role the actions of every resource type in the tenant templates', () => {
    const services: Record<string, string> = { ElasticLoadBalancingV2: 'elasticloadbalancing' };
    const types = [
      ...new Set(
        publishedTemplates(loadTiers()).flatMap((p) =>
          Object.values(p.template.Resources as Json).map((r: Json) => r.Type as string),
        ),
      ),
    ];
    const [[roleId]] = tenantStackRoles(deploy);
    const actions = actionsOf(statementsOfRole(deploy, roleId));

    expect([...deploy.built.orchestrator.tenantStackRole.resourceTypes].sort()).toEqual(types.sort());
    for (const type of types) {
      const [, service, kind] = type.split('::') as [string, string, string];
      const prefix = services[service] ?? service.toLowerCase();
      expect(
        actions.some((action) => action.startsWith(`${prefix}:`)),
        type,
      ).toBe(true);
      expect(
        actions.some((action) => action.startsWith(`${prefix}:Create`) || action === `ecs:Register${kind}`),
        `${type} create`,
      ).toBe(true);
    }
    const passRole = statementsOfRole(deploy, roleId).find((st) => st.Action === 'iam:PassRole')!;
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    expect(
      () =>
        new TenantStackRole(new Stack(new App()), 'Role', {
          templates: [{ Resources: { Db: { Type: 'AWS::RDS::DBInstance' } } }],
          stackNamePrefix: 'tenant',
          vpcId: 'vpc-1',
          listenerArns: [],
          permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/b',
          shared: { clusterName: 'c', targetGroupArns: [], loadBalancerSecurityGroupId: 'sg-1' },
        }),
    ).toThrow(/AWS::RDS::DBInstance, which the tenant stack role has no permissions for/);
  });
});

describe('tenant templates bucket', () => {
  it('is versioned, private, encrypted, SSL-only and logs access to its own log bucket', () => {
    const [[bucketId, bucket]] = resourcesOf(deploy, 'AWS::S3::Bucket').filter(
      ([, b]) => b.Properties.VersioningConfiguration !== undefined,
    ) as [[string, Json]];
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    const logBucket = bucket.Properties.LoggingConfiguration.DestinationBucketName.Ref as string;
    expect(resourcesOf(deploy, 'AWS::S3::Bucket').map(([id]) => id)).toContain(logBucket);
    deploy.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('publishes each silo model at the catalog version without pruning older versions', () => {
    const catalog = loadTiers();
    const [[, deployment]] = resourcesOf(deploy, 'Custom::CDKBucketDeployment') as [[string, Json]];
    expect(deployment.Properties).toMatchObject({ Prune: false, RetainOnDelete: true });
    expect(deployment.Properties.SourceObjectKeys).toHaveLength(shippedTemplates().length);
    const outdir = deploy.built.app.outdir;
    for (const { model, version, template } of publishedTemplates(catalog)) {
      const staged = readdirSync(outdir)
        .filter((entry) => entry.startsWith('asset.'))
        .map((entry) => join(outdir, entry, tenantTemplateKey(model, version)))
        .find(existsSync);
      expect(staged, `${model} ${version}`).toBeDefined();
      expect(JSON.parse(readFileSync(staged!, 'utf8'))).toEqual(template);
    }
  });
});

describe('stack', () => {
  it('tags every taggable resource with the application', () => {
    const tagged = Object.values(deploy.json.Resources as Json).filter((r) => Array.isArray(r.Properties?.Tags));
    expect(tagged.length).toBeGreaterThan(20);
    for (const resource of tagged)
      expect(resource.Properties.Tags, resource.Type).toContainEqual({
        Key: applicationTag.key,
        Value: applicationTag.value,
      });
  });

  it('outputs the bus, registry, workflows, templates bucket and dead-letter queues', () => {
    expect(Object.keys(deploy.json.Outputs).sort()).toEqual([
      'EventBusName',
      'FailureDeadLetterQueueUrl',
      'OffboardingStateMachineArn',
      'OnboardingStateMachineArn',
      'RegistryTableName',
      'RequestDeadLetterQueueUrl',
      'RolloutStateMachineArn',
      'RouteListeners',
      'SuspensionStateMachineArn',
      'TemplatesBucketName',
      'TenantStackNamePrefix',
      'TenantStackRoleArn',
      'UpdateStateMachineArn',
    ]);
    deploy.template.resourceCountIs('AWS::Events::EventBus', 0);
    existing.template.resourceCountIs('AWS::Events::EventBus', 1);
  });

  it('creates the ECS service-linked role only when asked (here in the orchestrator, as the shared infrastructure is brought by id)', () => {
    existing.template.hasResourceProperties('AWS::IAM::ServiceLinkedRole', { AWSServiceName: 'ecs.amazonaws.com' });
    deploy.template.resourceCountIs('AWS::IAM::ServiceLinkedRole', 0);
  });

  it('deploys the shared infrastructure only in deploy mode', () => {
    expect(deploy.built.sharedInfrastructure).toBeDefined();
    expect(existing.built.sharedInfrastructure).toBeUndefined();
  });

  it('has no unacknowledged cdk-nag findings, with shared infrastructure deployed or existing', () => {
    expect(deploy.findings).toEqual([]);
    expect(existing.findings).toEqual([]);
  });
});

describe('TenantOrchestrator in a stack of its own', () => {
  const env = { account: '111122223333', region: 'eu-west-1' };
  interface Consumer {
    readonly stack: Stack;
    readonly orchestrator: TenantOrchestrator;
    readonly json: Json;
    readonly findings: NagFinding[];
  }
  function consumer(props: Omit<TenantOrchestratorProps, 'eventManager'> = {}): Consumer {
    const app = nagApp(noBundling);
    const stack = new Stack(app, 'Consumer', { env });
    const eventBus = new events.EventBus(stack, 'Bus');
    const orchestrator = new TenantOrchestrator(stack, 'Orchestrator', { eventManager: { eventBus }, ...props });
    const findings = nagFindings(app);
    return { stack, orchestrator, json: Template.fromStack(stack).toJSON() as Json, findings };
  }
  const variablesOf = (json: Json, directory: string) =>
    (Object.values(json.Resources) as Json[]).find(
      (resource) =>
        resource.Type === 'AWS::Lambda::Function' &&
        resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === directory,
    )?.Properties.Environment.Variables as Json;

  let defaults: Consumer;
  let withReplies: Consumer;
  beforeAll(() => {
    defaults = consumer();
    withReplies = consumer({
      replyQueue: true,
      tiers: { ...builtInTierCatalog, tiers: { ...builtInTierCatalog.tiers, gold: builtInTierCatalog.tiers.premium! } },
      sharedInfrastructure: existingReference,
    });
  });

  it('needs only the event bus: it creates the shared infrastructure, with the built-in tiers and contract defaults', () => {
    expect(defaults.orchestrator.sharedInfrastructure).toBeDefined();
    Template.fromStack(defaults.stack).resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    expect(defaults.orchestrator.contract).toMatchObject({
      controlPlaneSource: 'sbt.control.plane',
      applicationPlaneSource: 'sbt.application.plane',
      acceptLegacyDetailTypes: true,
      emitLegacyDetailTypes: false,
    });
    expect(variablesOf(defaults.json, 'plan-tenant').TENANT_DOMAIN).toBe(orchestratorDefaults.tenantDomain);
    expect(defaults.findings).toEqual([]);
  });

  it('hands the tier catalog it is given to the functions that read it, at run time', () => {
    for (const directory of ['accept-request', 'plan-tenant']) {
      expect(JSON.parse(variablesOf(withReplies.json, directory).TIER_CATALOG as string), directory).toEqual(
        withReplies.orchestrator.tiers,
      );
      expect(Object.keys(withReplies.orchestrator.tiers.tiers)).toContain('gold');
      expect(JSON.parse(variablesOf(defaults.json, directory).TIER_CATALOG as string)).toEqual(builtInTierCatalog);
    }
  });

  it('refuses a tier catalog too large for the functions environment, or an invalid one', () => {
    const service = builtInTierCatalog.tiers.premium!.services[0]!;
    const many = Object.fromEntries(
      Array.from({ length: 12 }, (_, index) => [
        `tier-${index}`,
        { ...builtInTierCatalog.tiers.premium!, services: [service, { ...service, name: 'api' }] },
      ]),
    );
    expect(() => consumer({ tiers: { ...builtInTierCatalog, tiers: many } })).toThrow(/over the 3072/);
    expect(() => consumer({ tiers: { ...builtInTierCatalog, tiers: {} } })).toThrow(/at least one tier/);
    expect(() => consumer({ stackNamePrefix: '1bad' })).toThrow(/TenantOrchestrator props: stackNamePrefix/);
  });

  it('creates no reply queue unless asked; asked, copies exactly our replies to it and names it in ReplyQueueUrl', () => {
    expect(Object.keys(defaults.json.Outputs)).not.toContain('ReplyQueueUrl');
    Template.fromStack(defaults.stack).resourceCountIs('AWS::SQS::Queue', 2);

    const queue = withReplies.orchestrator.replyQueue!;
    expect(withReplies.json.Outputs.ReplyQueueUrl.Value).toEqual(withReplies.stack.resolve(queue.queueUrl));
    const queueArn = withReplies.stack.resolve(queue.queueArn);
    const [rule] = (Object.values(withReplies.json.Resources) as Json[]).filter(
      (resource) =>
        resource.Type === 'AWS::Events::Rule' &&
        (resource.Properties.Targets as Json[] | undefined)?.some((target) => isDeepStrictEqual(target.Arn, queueArn)),
    );
    expect(rule?.Properties.EventPattern).toEqual({
      source: ['sbt.application.plane'],
      'detail-type': [
        'sbt_aws_provisionSuccess',
        'sbt_aws_provisionFailure',
        'sbt_aws_deprovisionSuccess',
        'sbt_aws_deprovisionFailure',
        'sbt_aws_deactivateSuccess',
        'sbt_aws_deactivateFailure',
        'sbt_aws_activateSuccess',
        'sbt_aws_activateFailure',
        'sbt_aws_tenantUpdateSuccess',
        'sbt_aws_tenantUpdateFailure',
      ],
      account: ['111122223333'],
    });
    expect(withReplies.findings).toEqual([]);
  });

  it('keeps the output names the command line reads, wherever the construct sits', () => {
    expect(Object.keys(withReplies.json.Outputs).sort()).toEqual(
      [
        'EventBusName',
        'RegistryTableName',
        'OnboardingStateMachineArn',
        'OffboardingStateMachineArn',
        'SuspensionStateMachineArn',
        'UpdateStateMachineArn',
        'RolloutStateMachineArn',
        'TemplatesBucketName',
        'RequestDeadLetterQueueUrl',
        'FailureDeadLetterQueueUrl',
        'TenantStackNamePrefix',
        'RouteListeners',
        'TenantStackRoleArn',
        'ReplyQueueUrl',
      ].sort(),
    );
  });
});
