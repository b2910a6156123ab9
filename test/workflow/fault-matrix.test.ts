/**
 * The fault matrix: every Task state of both workflows against every fault class that applies to
 * it, on the embedded runtime (real ASL, real handlers, simulated cloud). Each case asserts how
 * the execution ends and what the control plane is told, then that, once the fault has cleared, a
 * replay converges: one stack set (none for pool) complete or none left, one listener rule for an
 * active tenant and none after offboarding, one success reply, the registry at ACTIVE/DELETED with
 * no lock, route priorities matching the rule, no stack-operation slot held.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { offboardingEvent, onboardingEvent, tenantStateEvent, tenantUpdateEvent } from '../../cli/requests.ts';
import { suspendedResponse } from '../../functions/shared/config/template-parameters.ts';
import type { EmbeddedRuntime, ExecutionSummary, InjectedFault, ReceivedReply } from '../../local/runtime/api.ts';
import { openLocalRuntime } from '../../local/runtime/runtime.ts';
import type { WorkflowName } from '../../local/workflow-runner.ts';
import { OutcomeTable, retriesAt as retriesIn, transientBudget } from './fault-matrix.fixture.ts';

// Services start on their third look, so the verify loop always falls back to a look
// (RecheckTenantServices runs) however slow the machine: VerifyTenantServices looks first, the waiting
// step (WaitForTenantServices) looks once when it stores its token, and no ECS event comes before a
// service starts. Readiness is counted in DescribeServices looks, not in wall time. Retries wait 5 ms.
const timings = { createMs: 20, deleteMs: 20, startLooks: 2, waitMs: 5 };
// Two listeners of two rules each: room for the case's tenant and, during a tier change, its temporary
// second rule; easy to fill for the capacity case.
const routeListeners = { count: 2, capacity: 2 };

type Tier = 'basic' | 'advanced' | 'premium';
const stackCount: Record<Tier, number> = { basic: 0, advanced: 1, premium: 1 };
/** How the row names a tier's isolation: pooled services, own services on the shared cluster, own cluster. */
const isolation: Record<Tier, string> = { basic: 'pool', advanced: 'silo', premium: 'silo cluster' };

/** A Task state and the AWS call each of its attempts makes, on the path of a tenant of `tier`. */
interface Step {
  readonly workflow: WorkflowName;
  readonly state: string;
  readonly tier: Tier;
  readonly service: string;
  readonly operation: string;
  /** Which of the step's calls fails, when the state has more than one row. */
  readonly note?: string;
}

/** The note of the tier change rows: the matrix changes the tenant to {@link tierTarget} of its tier. */
const tierNote = 'tier change';
const tierTarget: Record<Tier, Tier> = { basic: 'advanced', advanced: 'premium', premium: 'basic' };
/** Rows whose tier change comes after the same change failed before its switch (it is abandoned first). */
const abandonNote = 'tier change after one failed before its switch';
/** Rows whose tier change comes after the same change failed after its switch (it is finished first). */
const adoptNote = 'tier change after one failed after its switch';
const adoptPooledNote = 'tier change after one failed after its switch, its pooled rule left';
/** Where the earlier change fails, for the rows that abandon or finish it. */
const failedChangeAt: Readonly<Record<string, string>> = {
  [abandonNote]: 'CheckNewTierStacks',
  [adoptNote]: 'RetireOldStackRoute',
  [adoptPooledNote]: 'DeleteOldPooledRule',
};

const step = (workflow: WorkflowName, state: string, tier: Tier, call: string, note?: string): Step => {
  const [service = '', operation = ''] = call.split(':');
  return { workflow, state, tier, service, operation, ...(note !== undefined ? { note } : {}) };
};

const steps: readonly Step[] = [
  step('onboarding', 'AcceptOnboardingRequest', 'advanced', 'DynamoDB:GetItem'),
  step('onboarding', 'PlanTenantResources', 'advanced', 'DynamoDB:UpdateItem'),
  step('onboarding', 'RegisterTenantRoute', 'advanced', 'ELB:DescribeRules'),
  step('onboarding', 'RegisterTenantRoute', 'basic', 'ELB:CreateRule'),
  step('onboarding', 'CreateTenantStacks', 'advanced', 'CloudFormation:CreateStack'),
  step('onboarding', 'WaitForTenantStacks', 'advanced', 'DynamoDB:UpdateItem'),
  step('onboarding', 'CheckTenantStacks', 'advanced', 'CloudFormation:DescribeStacks'),
  step('onboarding', 'VerifyTenantServices', 'advanced', 'ECS:DescribeServices'),
  step('onboarding', 'WaitForTenantServices', 'advanced', 'ECS:DescribeServices'),
  step('onboarding', 'RecheckTenantServices', 'advanced', 'ECS:DescribeServices'),
  step('onboarding', 'ActivateTenant', 'advanced', 'DynamoDB:UpdateItem'),
  step('onboarding', 'SendProvisionSuccess', 'advanced', 'EventBridge:PutEvents'),
  step('onboarding', 'SendProvisionSuccess', 'advanced', 'DynamoDB:PutItem', 'idempotency table'),
  step('offboarding', 'AcceptOffboardingRequest', 'advanced', 'DynamoDB:GetItem'),
  step('offboarding', 'DeleteTenantStacks', 'advanced', 'CloudFormation:DeleteStack'),
  step('offboarding', 'CheckStackDeletion', 'advanced', 'CloudFormation:DescribeStacks'),
  step('offboarding', 'RemoveTenantRoute', 'advanced', 'ELB:DescribeRules'),
  step('offboarding', 'RemoveTenantRoute', 'basic', 'ELB:DeleteRule'),
  step('offboarding', 'MarkTenantDeleted', 'advanced', 'DynamoDB:UpdateItem'),
  step('offboarding', 'SendDeprovisionSuccess', 'advanced', 'EventBridge:PutEvents'),
  // Premium: its own cluster in its stack, so the stack, service and route steps run on another template.
  step('onboarding', 'RegisterTenantRoute', 'premium', 'ELB:DescribeRules'),
  step('onboarding', 'CreateTenantStacks', 'premium', 'CloudFormation:CreateStack'),
  step('onboarding', 'CheckTenantStacks', 'premium', 'CloudFormation:DescribeStacks'),
  step('onboarding', 'VerifyTenantServices', 'premium', 'ECS:DescribeServices'),
  step('onboarding', 'RecheckTenantServices', 'premium', 'ECS:DescribeServices'),
  step('offboarding', 'DeleteTenantStacks', 'premium', 'CloudFormation:DeleteStack'),
  step('offboarding', 'CheckStackDeletion', 'premium', 'CloudFormation:DescribeStacks'),
  step('offboarding', 'RemoveTenantRoute', 'premium', 'ELB:DescribeRules'),
  // Suspension (a suspend request): silo stacks updated with TenantSuspended, a pool tenant's rule modified.
  step('suspension', 'AcceptSuspensionRequest', 'advanced', 'DynamoDB:GetItem'),
  step('suspension', 'UpdateTenantStacks', 'advanced', 'CloudFormation:UpdateStack'),
  step('suspension', 'CheckStackUpdate', 'advanced', 'CloudFormation:DescribeStacks'),
  step('suspension', 'UpdateTenantStacks', 'premium', 'CloudFormation:UpdateStack'),
  step('suspension', 'SetTenantRouteAction', 'basic', 'ELB:DescribeRules'),
  step('suspension', 'SetTenantRouteAction', 'basic', 'ELB:ModifyRule'),
  step('suspension', 'CompleteSuspension', 'advanced', 'DynamoDB:UpdateItem'),
  step('suspension', 'SendSuspensionReply', 'advanced', 'EventBridge:PutEvents'),
  // A resume of a suspended tenant: only it waits for the services.
  step('suspension', 'VerifyTenantServices', 'advanced', 'ECS:DescribeServices', 'resume'),
  step('suspension', 'RecheckTenantServices', 'advanced', 'ECS:DescribeServices', 'resume'),
  // Update (a template version update, 1.0.0 to 1.1.0): silo stacks updated to the published template.
  step('update', 'AcceptUpdateRequest', 'advanced', 'DynamoDB:GetItem'),
  step('update', 'UpdateTenantTemplate', 'advanced', 'CloudFormation:UpdateStack'),
  step('update', 'CheckTemplateUpdate', 'advanced', 'CloudFormation:DescribeStacks'),
  step('update', 'UpdateTenantTemplate', 'premium', 'CloudFormation:UpdateStack'),
  // No RecheckTenantServices row: 1.1.0 changes the target group's health check and no service, so
  // the services stay stable through the update and VerifyTenantServices finds them ready at once.
  step('update', 'VerifyTenantServices', 'advanced', 'ECS:DescribeServices'),
  step('update', 'CompleteUpdate', 'advanced', 'DynamoDB:GetItem', 'reads the record'),
  step('update', 'CompleteUpdate', 'advanced', 'DynamoDB:UpdateItem'),
  step('update', 'SendUpdateReply', 'advanced', 'EventBridge:PutEvents'),
  // Tier change (an update with a tier): advanced -> premium runs the silo-to-silo path; basic ->
  // advanced retires a pool rule; premium -> basic switches to a pool rule. The states that abandon or
  // finish a change another execution left run after such a failure: their rows first fail a change
  // (see failedChangeAt), then request it again.
  // RequestDataMigration (the data migration hook) runs only with the hook on, which the handlers read
  // once per process; it is off here (the default): test/workflow/tier-change-hook.test.ts runs its
  // fault classes (its PutEvents failing with 5xx or for good, a Lambda timeout after its work, a
  // superseded redrive, its answer failing or timing out).
  step('update', 'PlanTierChange', 'advanced', 'DynamoDB:Query', tierNote),
  step('update', 'CreateNewTierStacks', 'advanced', 'CloudFormation:CreateStack', tierNote),
  step('update', 'CheckNewTierStacks', 'advanced', 'CloudFormation:DescribeStacks', tierNote),
  step('update', 'VerifyNewTierServices', 'advanced', 'ECS:DescribeServices', tierNote),
  step('update', 'RecheckNewTierServices', 'advanced', 'ECS:DescribeServices', tierNote),
  step('update', 'MoveRouteToNewTierStacks', 'advanced', 'CloudFormation:UpdateStack', tierNote),
  step('update', 'CheckRouteMove', 'advanced', 'CloudFormation:DescribeStacks', tierNote),
  step('update', 'RecordTierSwitch', 'advanced', 'DynamoDB:UpdateItem', tierNote),
  step('update', 'RetireOldStackRoute', 'advanced', 'CloudFormation:UpdateStack', tierNote),
  step('update', 'CheckOldRouteRetirement', 'advanced', 'CloudFormation:DescribeStacks', tierNote),
  step('update', 'RecordOldRouteRetired', 'advanced', 'DynamoDB:UpdateItem', tierNote),
  step('update', 'RemoveOldTierStacks', 'advanced', 'CloudFormation:DeleteStack', tierNote),
  step('update', 'CheckOldTierStacks', 'advanced', 'CloudFormation:DescribeStacks', tierNote),
  step('update', 'FinishTierChange', 'advanced', 'DynamoDB:UpdateItem', tierNote),
  step('update', 'DeleteOldPooledRule', 'basic', 'ELB:DeleteRule', tierNote),
  step('update', 'CreatePooledTenantRule', 'premium', 'ELB:CreateRule', tierNote),
  step('update', 'RemoveAbandonedStacks', 'advanced', 'CloudFormation:DeleteStack', abandonNote),
  step('update', 'CheckAbandonedStacks', 'advanced', 'CloudFormation:DescribeStacks', abandonNote),
  step('update', 'AbandonTierChange', 'advanced', 'DynamoDB:UpdateItem', abandonNote),
  step('update', 'RetireAdoptedOldStackRoute', 'advanced', 'CloudFormation:UpdateStack', adoptNote),
  step('update', 'CheckAdoptedOldRouteRetirement', 'advanced', 'CloudFormation:DescribeStacks', adoptNote),
  step('update', 'RecordAdoptedOldRouteRetired', 'advanced', 'DynamoDB:UpdateItem', adoptNote),
  step('update', 'RemoveAdoptedOldTierStacks', 'advanced', 'CloudFormation:DeleteStack', adoptNote),
  step('update', 'CheckAdoptedOldTierStacks', 'advanced', 'CloudFormation:DescribeStacks', adoptNote),
  step('update', 'FinishAdoptedTierChange', 'advanced', 'DynamoDB:UpdateItem', adoptNote),
  step('update', 'DeleteAdoptedOldPooledRule', 'basic', 'ELB:DeleteRule', adoptPooledNote),
];

/** What the step's execution does: its workflow's operation, (suspension workflow) a resume, or (update workflow) a tier change. */
type MatrixOperation = WorkflowName | 'resume' | 'tier';
const operationOf = (s: Pick<Step, 'workflow' | 'note'>): MatrixOperation =>
  s.note === 'resume'
    ? 'resume'
    : s.note === tierNote || (s.note !== undefined && s.note in failedChangeAt)
      ? 'tier'
      : s.workflow;

/** What a case expects of the first execution. */
type Expected =
  | { readonly outcome: 'success'; readonly retriedWith: string }
  | { readonly outcome: 'failure'; readonly error: string; readonly reason?: RegExp };

/** A fault class: how to arm it for a step, what the execution should do, how the fault clears. */
interface FaultClass {
  readonly name: string;
  readonly appliesTo: (step: Step) => boolean;
  readonly arm: (context: CaseContext) => Promise<void> | void;
  readonly expected: Expected;
  readonly clear?: (context: CaseContext) => Promise<void>;
}

interface CaseContext {
  readonly step: Step;
  readonly tenantId: string;
  readonly sdkFault: (kind: 'throttling' | 'server', times: number) => InjectedFault;
}

const stackName = (tenantId: string) => `tenant-${tenantId}`;

const faultClasses: readonly FaultClass[] = [
  {
    name: 'throttling burst',
    appliesTo: () => true,
    arm: ({ sdkFault }) => runtime.injectFault(sdkFault('throttling', 2)),
    expected: { outcome: 'success', retriedWith: 'TransientAwsError' },
  },
  {
    name: '5xx past the retries',
    appliesTo: () => true,
    arm: ({ sdkFault }) => runtime.injectFault(sdkFault('server', transientBudget)),
    expected: { outcome: 'failure', error: 'TransientAwsError' },
  },
  {
    name: 'Lambda timeout after the work',
    appliesTo: () => true,
    arm: ({ step: { state } }) => runtime.injectFault({ step: state, kind: 'timeout-after', times: 1 }),
    expected: { outcome: 'success', retriedWith: 'Sandbox.Timedout' },
  },
  {
    name: 'stack rolls back',
    appliesTo: ({ state }) => state === 'CheckTenantStacks',
    arm: ({ tenantId }) =>
      runtime.failNextStackCreate(stackName(tenantId), 'Resource handler returned message: "Injected rollback"'),
    expected: { outcome: 'failure', error: 'StackCreationFailed', reason: /Injected rollback/ },
  },
  {
    name: 'stack update rolls back',
    appliesTo: ({ state }) => state === 'CheckStackUpdate' || state === 'CheckTemplateUpdate',
    arm: ({ tenantId }) => runtime.failNextStackUpdate(stackName(tenantId), 'Injected update failure'),
    expected: { outcome: 'failure', error: 'StackUpdateFailed', reason: /Injected update failure/ },
  },
  {
    name: 'new tier stack rolls back',
    appliesTo: ({ state }) => state === 'CheckNewTierStacks',
    arm: ({ tenantId }) =>
      runtime.failNextStackCreate(
        new RegExp(`^${stackName(tenantId)}-b$`),
        'Resource handler returned message: "Injected rollback"',
      ),
    expected: { outcome: 'failure', error: 'StackCreationFailed', reason: /Injected rollback/ },
  },
  {
    name: 'old tier stack delete fails',
    appliesTo: ({ state }) => state === 'CheckOldTierStacks',
    arm: ({ tenantId }) =>
      runtime.failNextStackDelete(new RegExp(`^${stackName(tenantId)}$`), 'Injected delete failure'),
    expected: { outcome: 'failure', error: 'StackDeletionFailed', reason: /Injected delete failure/ },
  },
  {
    name: 'stack delete fails',
    appliesTo: ({ state }) => state === 'CheckStackDeletion',
    arm: ({ tenantId }) => runtime.failNextStackDelete(stackName(tenantId), 'Injected delete failure'),
    expected: { outcome: 'failure', error: 'StackDeletionFailed', reason: /Injected delete failure/ },
  },
  {
    // Step Functions delivers status-change events best effort: the failure sweep still answers.
    name: 'status event dropped',
    appliesTo: ({ state, tier }) =>
      tier !== 'basic' && (state === 'CreateTenantStacks' || state === 'DeleteTenantStacks'),
    arm: ({ step: { state } }) => {
      runtime.dropStatusEvents(1);
      runtime.injectFault({ step: state });
    },
    expected: { outcome: 'failure', error: 'InjectedFault' },
  },
  {
    name: 'route capacity exhausted',
    appliesTo: ({ state, tier }) => state === 'RegisterTenantRoute' && tier === 'basic',
    // Four other pool tenants take the two rules of each listener.
    arm: async () => {
      for (const filler of fillers) expect((await onboard(filler, 'basic')).execution?.status).toBe('SUCCEEDED');
    },
    expected: { outcome: 'failure', error: 'RouteCapacityExceeded', reason: /listener\(s\) are full/ },
    // An operator frees room: one of the other tenants leaves.
    clear: async () => {
      expect((await offboard(fillers[0] ?? '')).execution?.status).toBe('SUCCEEDED');
    },
  },
];

const fillers = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
const registrations = new Map<string, string>();

let directory: string;
let runtime: EmbeddedRuntime;
beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'fault-matrix-'));
  runtime = await openLocalRuntime({ stateDirectory: directory, timings, routeListeners });
  // Each case starts its own ordering: a counter carried across cases would put a late case's
  // suspend request beyond the takeover sent a minute ahead, and the takeover would be stale.
  stateChanges = 0;
});
afterEach(async () => {
  await runtime.close();
  rmSync(directory, { recursive: true, force: true });
});

function onboard(tenantId: string, tier: Tier) {
  const registrationId = randomUUID();
  registrations.set(tenantId, registrationId);
  return runtime.send(
    onboardingEvent(
      { tenantId, registrationId, tenantName: `tenant ${tenantId.slice(0, 8)}`, tier },
      randomUUID(),
      new Date(),
    ),
    { wait: true },
  );
}

/** A suspend request of the tenant's registration, a second after everything sent before it. */
let stateChanges = 0;
function suspendTenant(tenantId: string, change: 'suspend' | 'resume' = 'suspend') {
  // Each later than the last (and than the onboarding), a second apart: requests are ordered by event time.
  stateChanges += 1;
  return runtime.send(
    tenantStateEvent(
      change,
      tenantId,
      registrations.get(tenantId) ?? randomUUID(),
      randomUUID(),
      new Date(Date.now() + stateChanges * 1000),
    ),
    { wait: true },
  );
}

/** A template version update (to 1.1.0) of the tenant's registration, ordered like a suspend request. */
function updateTenant(tenantId: string) {
  stateChanges += 1;
  return runtime.send(
    tenantUpdateEvent(
      tenantId,
      registrations.get(tenantId) ?? randomUUID(),
      { templateVersion: '1.1.0' },
      randomUUID(),
      new Date(Date.now() + stateChanges * 1000),
    ),
    { wait: true },
  );
}

/** A tier change of the tenant's registration to `tier`, ordered like a suspend request. */
function changeTenantTier(tenantId: string, tier: Tier) {
  stateChanges += 1;
  return runtime.send(
    tenantUpdateEvent(
      tenantId,
      registrations.get(tenantId) ?? randomUUID(),
      { tier },
      randomUUID(),
      new Date(Date.now() + stateChanges * 1000),
    ),
    { wait: true },
  );
}

/** Runs the step's own operation on a tenant (an onboarded one, unless the workflow is onboarding). */
function operate(operation: MatrixOperation, tenantId: string, tier: Tier) {
  if (operation === 'onboarding') return onboard(tenantId, tier);
  if (operation === 'resume') return suspendTenant(tenantId, 'resume');
  if (operation === 'update') return updateTenant(tenantId);
  if (operation === 'tier') return changeTenantTier(tenantId, tierTarget[tier]);
  return operation === 'offboarding' ? offboard(tenantId) : suspendTenant(tenantId);
}

/**
 * Onboards the tenant the operation needs (and suspends it for a resume; for a row that abandons or
 * finishes an earlier tier change, fails that change where `failedChangeAt` says); nothing for an onboarding.
 */
async function prepare(operation: MatrixOperation, tenantId: string, tier: Tier, note?: string): Promise<void> {
  if (operation === 'onboarding') return;
  expect((await onboard(tenantId, tier)).execution?.status).toBe('SUCCEEDED');
  if (operation === 'resume') expect((await suspendTenant(tenantId)).execution?.status).toBe('SUCCEEDED');
  const failAt = note === undefined ? undefined : failedChangeAt[note];
  if (failAt !== undefined) {
    runtime.injectFault({ step: failAt });
    const { execution } = await changeTenantTier(tenantId, tierTarget[tier]);
    runtime.clearFaults();
    expect(execution).toMatchObject({ status: 'FAILED', failedState: failAt });
  }
}

function offboard(tenantId: string) {
  return runtime.send(
    offboardingEvent(tenantId, registrations.get(tenantId) ?? randomUUID(), undefined, randomUUID(), new Date()),
    { wait: true },
  );
}

const failureOf = (reply: ReceivedReply) =>
  (reply.detail.jobOutput as { tenantRegistrationData?: Record<string, string> } | undefined)?.tenantRegistrationData ??
  {};
const repliesFor = (tenantId: string) => runtime.replies().filter((reply) => reply.detail.tenantId === tenantId);

/** Retries the execution made at the state, by error name. */
const retriesAt = (execution: ExecutionSummary, state: string) => retriesIn(runtime, execution.executionArn, state);

const successKind: Record<MatrixOperation, string> = {
  resume: 'sbt_aws_activateSuccess',
  onboarding: 'sbt_aws_provisionSuccess',
  offboarding: 'sbt_aws_deprovisionSuccess',
  suspension: 'sbt_aws_deactivateSuccess',
  update: 'sbt_aws_tenantUpdateSuccess',
  tier: 'sbt_aws_tenantUpdateSuccess',
};

/** The registry status each workflow's operation ends in (the matrix suspends). */
const endStatus: Record<MatrixOperation, string> = {
  onboarding: 'ACTIVE',
  offboarding: 'DELETED',
  suspension: 'SUSPENDED',
  resume: 'ACTIVE',
  update: 'ACTIVE',
  tier: 'ACTIVE',
};

/** What the cloud and the registry hold for the tenant once its operation has converged. */
async function expectConverged(tenantId: string, workflow: MatrixOperation, tier: Tier): Promise<void> {
  const resources = runtime.resources();
  const stacks = resources.stacks.filter((stack) => stack.tags.tenantId === tenantId);
  const rules = resources.rules.filter((rule) => rule.tenantId === tenantId);
  const items = await runtime.registryItems();
  const tenant = items.find((item) => item.pk === `TENANT#${tenantId}` && item.sk === 'TENANT');
  const priorities = items.filter((item) => String(item.pk).startsWith('LISTENER#') && item.tenantId === tenantId);
  const slots = items.filter((item) => String(item.pk).startsWith('ADMISSION#'));
  const registrationId = registrations.get(tenantId);
  const successes = repliesFor(tenantId).filter(
    (reply) => reply.detailType === successKind[workflow] && reply.detail.tenantRegistrationId === registrationId,
  );

  expect(successes).toHaveLength(1);
  expect(tenant).toMatchObject({ status: endStatus[workflow] });
  expect(tenant?.lock).toBeUndefined();
  expect(slots).toEqual([]);
  if (workflow === 'offboarding') {
    expect({ stacks, rules, priorities }).toEqual({ stacks: [], rules: [], priorities: [] });
    return;
  }
  if (workflow === 'tier') {
    // On the target tier: its stack (whose rule the switch updated) or the pooled rule, one route, no change left.
    const target = tierTarget[tier];
    expect(stacks.map((stack) => [stack.status, stack.tags.tier])).toEqual(
      Array(stackCount[target]).fill(['UPDATE_COMPLETE', target]),
    );
    expect(tenant).toMatchObject({ tier: target, plan: { tier: target } });
    expect(tenant?.tierChange).toBeUndefined();
    expect(rules).toHaveLength(1);
    expect(rules[0]?.action).toMatchObject({ type: 'forward' });
    expect(priorities.map((item) => String(Number(String(item.sk).slice('PRIORITY#'.length))))).toEqual([
      rules[0]?.priority,
    ]);
    return;
  }
  expect(stacks.map((stack) => stack.status)).toEqual(
    Array(stackCount[tier]).fill(
      workflow === 'suspension' || workflow === 'resume' || workflow === 'update'
        ? 'UPDATE_COMPLETE'
        : 'CREATE_COMPLETE',
    ),
  );
  expect(rules).toHaveLength(1);
  if (workflow === 'suspension') expect(rules[0]?.action).toEqual({ type: 'fixed-response', ...suspendedResponse });
  if (workflow === 'resume' || workflow === 'update') expect(rules[0]?.action).toMatchObject({ type: 'forward' });
  // The registry records the version the stacks moved to.
  if (workflow === 'update') expect(tenant).toMatchObject({ plan: { templateVersion: '1.1.0' } });
  expect(
    priorities.map((item) => ({
      listenerArn: String(item.pk).slice('LISTENER#'.length),
      priority: String(Number(String(item.sk).slice('PRIORITY#'.length))),
    })),
  ).toEqual(rules.map((rule) => ({ listenerArn: rule.listenerArn, priority: rule.priority })));
}

const outcomes = new OutcomeTable();
function record(s: Step, column: string, outcome: string): void {
  const row = `${{ onboarding: 'on ', offboarding: 'off', suspension: 'sus', update: 'upd' }[s.workflow]} ${s.state} (${[isolation[s.tier], s.note].filter(Boolean).join(', ')})`;
  outcomes.record(row, column, outcome);
}

const allCases = steps.flatMap((s) =>
  faultClasses
    .filter((fault) => fault.appliesTo(s))
    .flatMap((fault) =>
      (fault.expected.outcome === 'success' ? ['none' as const] : (['redrive', 'replay'] as const)).map((recovery) => ({
        ...s,
        fault,
        recovery,
        label: `${s.workflow} ${s.state} (${[s.tier, s.note].filter(Boolean).join(', ')}) x ${fault.name}${recovery === 'none' ? '' : `, then ${recovery}`}`,
      })),
    ),
);

/** Runs one case: the fault, the first execution and its reply, the fault clearing, the recovery, convergence. */
async function runCase({ fault, recovery, ...s }: (typeof allCases)[number]): Promise<void> {
  const tenantId = randomUUID();
  const context: CaseContext = {
    step: s,
    tenantId,
    sdkFault: (kind, times) => ({ service: s.service, operation: s.operation, kind, times, during: s.state }),
  };
  await prepare(operationOf(s), tenantId, s.tier, s.note);
  // Replies before this case's execution (an earlier failed tier change's) are not its own.
  const earlier = repliesFor(tenantId).length;

  await fault.arm(context);
  const { execution } = await operate(operationOf(s), tenantId, s.tier);

  if (execution === undefined) throw new Error('the request started no execution');
  const failures = repliesFor(tenantId)
    .slice(earlier)
    .filter((reply) => reply.detailType.endsWith('Failure'));
  const retries = retriesAt(execution, s.state);
  if (fault.expected.outcome === 'success') {
    expect(execution.status).toBe('SUCCEEDED');
    expect(failures).toEqual([]);
    // The fault struck where it was meant to, and the workflow's retry got past it.
    expect(retries).toContain(fault.expected.retriedWith);
    record(s, fault.name, `ok, ${retries.length} retr.`);
  } else {
    expect(execution).toMatchObject({ status: 'FAILED', failedState: s.state, error: fault.expected.error });
    expect(failures).toHaveLength(1);
    const failure = failureOf(failures[0] as ReceivedReply);
    expect(failure).toMatchObject({
      registrationStatus: 'failed',
      failedStep: s.state,
      errorName: fault.expected.error,
      executionArn: execution.executionArn,
    });
    if (fault.expected.reason) expect(failure.failureReason).toMatch(fault.expected.reason);
    if (recovery === 'redrive') record(s, fault.name, fault.expected.error);

    runtime.clearFaults();
    await fault.clear?.(context);
    const recovered =
      recovery === 'redrive'
        ? await runtime.redrive(execution.executionArn, { wait: true })
        : await runtime.replay(execution.executionArn, { wait: true });

    const successes = repliesFor(tenantId).filter((reply) => reply.detailType === successKind[operationOf(s)]);
    record(
      s,
      fault.name,
      `${recovery} ${recovered.status === 'SUCCEEDED' && successes.length === 1 ? 'ok' : 'NO SUCCESS REPLY'}`,
    );
    expect(recovered, `${recovered.failedState ?? ''} ${recovered.error ?? ''} ${recovered.cause ?? ''}`).toMatchObject(
      recovery === 'redrive'
        ? { status: 'SUCCEEDED', redriveCount: 1, executionArn: execution.executionArn }
        : { status: 'SUCCEEDED', replayOf: execution.executionArn },
    );
  }
  await expectConverged(tenantId, operationOf(s), s.tier);
}

describe('fault matrix: every Task state x every fault class that applies', () => {
  // Including a reply step that failed after the operation completed: a request sent again is
  // confirmed through the idempotent reply step, so the control plane gets its success reply.
  it.each(allCases)('$label', runCase);
});

/**
 * Superseded: the step fails, a newer operation takes the tenant over and completes, then the
 * failed execution is redriven. It must stop at that step, in the `Superseded` state, having
 * created, deleted and replied nothing; the newer operation's outcome stands. An Accept step is
 * superseded by order instead: a request older than one already accepted arrives after it.
 */
const supersededColumn = 'superseded (redrive after takeover / older request)';
// One case per state and tier (RecheckTenantServices included: services start on their second look).
const supersededCases = steps.filter(
  (s, index) =>
    steps.findIndex((other) => other.workflow === s.workflow && other.state === s.state && other.tier === s.tier) ===
    index,
);

describe('fault matrix: a superseded execution at every Task state changes nothing and replies nothing', () => {
  it.each(supersededCases.map((s) => ({ ...s, label: `${s.workflow} ${s.state} (${s.tier})` })))(
    '$label',
    async (s) => {
      const tenantId = randomUUID();
      const other: WorkflowName = s.workflow === 'offboarding' ? 'onboarding' : 'offboarding';
      await prepare(operationOf(s), tenantId, s.tier, s.note);
      const repliesBefore = repliesFor(tenantId).length;

      if (s.state.startsWith('Accept')) {
        // Out of order: a newer request was served (the onboarding above, or an offboarding of the
        // never-onboarded tenant, which leaves a tombstone); a request a minute older arrives after it.
        if (s.workflow === 'onboarding')
          expect((await offboardAt(tenantId, new Date())).execution?.status).toBe('SUCCEEDED');
        const registrationId = registrations.get(tenantId);
        const aMinuteAgo = new Date(Date.now() - 60_000);
        const older =
          s.workflow === 'onboarding'
            ? await onboardAt(tenantId, s.tier, aMinuteAgo)
            : s.workflow === 'offboarding'
              ? await offboardAt(tenantId, aMinuteAgo)
              : s.workflow === 'update'
                ? await runtime.send(
                    tenantUpdateEvent(
                      tenantId,
                      registrationId ?? randomUUID(),
                      { templateVersion: '1.1.0' },
                      randomUUID(),
                      aMinuteAgo,
                    ),
                    { wait: true },
                  )
                : await runtime.send(
                    tenantStateEvent('suspend', tenantId, registrationId ?? randomUUID(), randomUUID(), aMinuteAgo),
                    { wait: true },
                  );
        expect(older.execution?.status).toBe('SUPERSEDED');
        expect(older.replies).toEqual([]);
        if (registrationId !== undefined) registrations.set(tenantId, registrationId);
        record(s, supersededColumn, 'older request: superseded');
        // A suspend or an update older than the onboarding leaves the tenant as onboarded.
        await expectConverged(
          tenantId,
          s.workflow === 'suspension' || s.workflow === 'update' ? 'onboarding' : other,
          s.tier,
        );
        return;
      }

      runtime.injectFault({ step: s.state });
      const { execution } = await operate(operationOf(s), tenantId, s.tier);
      runtime.clearFaults();
      expect(execution).toMatchObject({ status: 'FAILED', failedState: s.state });
      const takeover =
        s.workflow === 'onboarding'
          ? await offboard(tenantId)
          : s.workflow === 'offboarding'
            ? await onboardAt(tenantId, s.tier, new Date(Date.now() + 60_000))
            : // Later than the suspend, update or tier change requests (each sent `stateChanges` seconds
              // ahead), so the offboarding is not stale.
              await offboardAt(tenantId, new Date(Date.now() + (stateChanges + 60) * 1000));
      expect(takeover.execution?.status).toBe('SUCCEEDED');
      const repliesAfterTakeover = repliesFor(tenantId).length;

      const redriven = await runtime.redrive(execution!.executionArn, { wait: true });

      expect(redriven.status).toBe('SUPERSEDED');
      const entered = runtime
        .history(redriven.executionArn)
        .filter((entry) => entry.type === 'StateEntered')
        .map((entry) => entry.state);
      expect(entered.slice(-2)).toEqual([s.state, 'Superseded']);
      expect(repliesFor(tenantId)).toHaveLength(repliesAfterTakeover);
      expect(repliesAfterTakeover - repliesBefore).toBe(2); // the failure reply, then the newer operation's success
      record(s, supersededColumn, 'redrive: superseded');
      await expectConverged(tenantId, other, s.tier);
    },
  );
});

/** An onboarding at `time` under a new registration (a re-onboarding is a new registration in SBT). */
function onboardAt(tenantId: string, tier: Tier, time: Date) {
  const registrationId = randomUUID();
  registrations.set(tenantId, registrationId);
  return runtime.send(
    onboardingEvent(
      { tenantId, registrationId, tenantName: `tenant ${tenantId.slice(0, 8)}`, tier },
      randomUUID(),
      time,
    ),
    { wait: true },
  );
}

function offboardAt(tenantId: string, time: Date) {
  const registrationId = registrations.get(tenantId) ?? randomUUID();
  registrations.set(tenantId, registrationId);
  return runtime.send(offboardingEvent(tenantId, registrationId, undefined, randomUUID(), time), { wait: true });
}

describe('redrive', () => {
  it('resumes at the failed state after the runtime was closed and opened again (separate CLI commands)', async () => {
    const tenantId = randomUUID();
    runtime.injectFault({
      service: 'ECS',
      operation: 'DescribeServices',
      kind: 'server',
      times: transientBudget,
      during: 'VerifyTenantServices',
    });
    const { execution } = await onboard(tenantId, 'advanced');
    await runtime.close();
    runtime = await openLocalRuntime({ stateDirectory: directory, timings, routeListeners });

    const redriven = await runtime.redrive(execution?.name ?? '', { wait: true });

    expect(redriven).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, executionArn: execution?.executionArn });
    const entered = runtime
      .history(redriven.executionArn)
      .filter((entry) => entry.type === 'StateEntered')
      .map((entry) => entry.state);
    expect(entered.filter((state) => state === 'AcceptOnboardingRequest')).toHaveLength(1);
    expect(entered.filter((state) => state === 'VerifyTenantServices')).toHaveLength(2);
    await expectConverged(tenantId, 'onboarding', 'advanced');
  });

  it('refuses an execution that did not fail', async () => {
    const { execution } = await onboard(randomUUID(), 'basic');

    await expect(runtime.redrive(execution?.executionArn ?? '')).rejects.toThrow(
      /Only a failed execution can be redriven/,
    );
  });
});

afterAll(() => {
  const columns = [...faultClasses.map((fault) => fault.name), supersededColumn];
  console.log(outcomes.format('Fault matrix (step x fault -> outcome):', columns));
});
