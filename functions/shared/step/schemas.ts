/**
 * The input and output of every workflow step: what the state machines pass in (Parameters)
 * and what each step returns (placed by ResultPath). Handlers parse their input with these
 * schemas, so a mismatch between a definition and a handler fails loudly as InvalidStepInput.
 */
import * as z from 'zod';
import { describeIssues, Operation } from '../../../events/contract.ts';
import { InvalidStepInputError } from './errors.ts';

/**
 * `$$.Execution.RedriveCount`, which every Task passes so its writes are fenced by attempt. Optional:
 * a redrive across a deploy runs the previous release's step input, which lacked it (read as 0).
 */
const RedriveCountSchema = z.number().int().nonnegative().optional();

const TenantRequestSchema = z.object({
  operation: z.enum(Object.values(Operation)),
  tenantId: z.string().min(1),
  registrationId: z.string().min(1),
  tenantName: z.string().optional(),
  tier: z.string().optional(),
  /** `update` only: the template version asked for. */
  templateVersion: z.string().optional(),
  eventId: z.string().optional(),
  requestedAt: z.string().optional(),
  /** The execution that holds the tenant's operation lock. */
  executionArn: z.string().min(1),
});
/** The validated request, as carried through a workflow (no personal data). */
export type WorkflowRequest = z.infer<typeof TenantRequestSchema>;

const StackSpecSchema = z.object({
  stackName: z.string().min(1),
  /** Present when the stack should exist (onboarding). */
  templateUrl: z.string().optional(),
  templateVersion: z.string().optional(),
  parameters: z.record(z.string(), z.string()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
});
export type StackSpec = z.infer<typeof StackSpecSchema>;

const RouteSpecSchema = z.object({
  style: z.enum(['host', 'header']),
  /** Host name (host style) or header value (header style) that selects the tenant. */
  value: z.string().min(1),
  /** Header name for header style. */
  headerName: z.string().optional(),
});
export type RouteSpec = z.infer<typeof RouteSpecSchema>;

/**
 * Registry snapshot the accept step returns for offboarding, suspend and resume (what onboarding
 * created). `route` (suspend and resume only): the tenant's rule and the target group its
 * forward action points at, as the registry recorded them (a silo tenant's stack owns its rule,
 * so the registry records neither for it).
 */
const TenantSnapshotSchema = z.object({
  tier: z.string().optional(),
  isolationModel: z.enum(['pool', 'silo-services', 'silo-cluster']).optional(),
  /** The template version the registry recorded for a silo tenant's stacks. */
  templateVersion: z.string().optional(),
  stacks: z.array(StackSpecSchema),
  route: z.object({ ruleArn: z.string().optional(), targetGroupArn: z.string().optional() }).optional(),
});
export type TenantSnapshot = z.infer<typeof TenantSnapshotSchema>;

// AcceptOnboardingRequest / AcceptOffboardingRequest (functions/accept-request), ResultPath "$"
export const AcceptInputSchema = z.object({
  event: z.unknown(),
  executionArn: z.string().min(1),
  redriveCount: RedriveCountSchema,
});
export interface AcceptOutput {
  /**
   * `accepted`: this execution holds the tenant and carries out the request.
   * `duplicate`: another execution is handling this request right now; end quietly.
   * `completed`: the request was already carried out and the tenant is still in that state:
   * confirm it with the (idempotent) success reply, in case the first one never went out.
   * `unchanged` (suspend, resume): this execution holds the tenant, which is already in the state
   * asked for; the workflow completes and replies success without touching any resource.
   */
  readonly outcome: 'accepted' | 'duplicate' | 'completed' | 'unchanged';
  readonly request: WorkflowRequest;
  /** `completed` only: what the success reply carries (onboarding: the stored tenantConfig). */
  readonly completion?: { readonly tenantConfig?: string };
  /** Offboarding, suspend, resume and update: what the registry says the tenant has. */
  readonly tenant?: TenantSnapshot;
  /**
   * An update of a silo tenant's template version: the version and, for each of the tenant's
   * stacks, the published template's URL to update it with.
   */
  readonly templateUpdate?: TemplateUpdate;
  /** An update that takes the tier-change branch (another tier, or an unfinished tier change to finish first). */
  readonly changesTier?: true;
}

/** Where an update moves a silo tenant's stacks: a published template version. */
export interface TemplateUpdate {
  readonly templateVersion: string;
  readonly stacks: readonly { readonly stackName: string; readonly templateUrl: string }[];
}

// PlanTenantResources (functions/plan-tenant), ResultPath "$.plan"
export const PlanInputSchema = z.object({ request: TenantRequestSchema, redriveCount: RedriveCountSchema });
const PlanSchema = z.object({
  tier: z.string(),
  isolationModel: z.enum(['pool', 'silo-services', 'silo-cluster']),
  templateVersion: z.string().optional(),
  stacks: z.array(StackSpecSchema),
  route: RouteSpecSchema,
  /** Names of the tenant's services (silo) or the pooled services it shares (pool). */
  services: z.array(z.string()),
});
export type Plan = z.infer<typeof PlanSchema>;

// CreateTenantStacks / CheckTenantStacks / DeleteTenantStacks / CheckStackDeletion
// (functions/converge-stacks), ResultPath "$.stackProgress"
const StackProgressSchema = z.object({
  /** True when every stack is in the desired state. */
  ready: z.boolean(),
  /** How many times this loop has looked. */
  polls: z.number().int().nonnegative(),
  /** How long the next Wait state should wait. */
  waitSeconds: z.number().int().positive(),
  /** Seconds waited so far in this attempt (bounded by the stack deadline). */
  elapsedSeconds: z.number().int().nonnegative(),
  /** `$$.Execution.RedriveCount` when this attempt began; a larger one means a redrive. */
  redriveCount: z.number().int().nonnegative(),
  /** Stacks this attempt asked CloudFormation to create, update or delete. */
  issued: z.array(z.string()),
  /** Outputs of the stacks once ready (merged; onboarding, suspend and resume). */
  outputs: z.record(z.string(), z.string()),
  /** True while the tenant waits for a stack-operation slot; that wait is not stack time. */
  queued: z.boolean().optional(),
  /** Seconds this attempt has waited for a slot so far (bounded by the queue deadline); absent while 0. */
  queuedSeconds: z.number().int().nonnegative().optional(),
});
export type StackProgress = z.infer<typeof StackProgressSchema>;
export const ConvergeStacksInputSchema = z.object({
  request: TenantRequestSchema,
  /**
   * `present` (onboarding), `absent` (offboarding), or `updated` (suspend, resume): every stack
   * exists and has the `parameterValues`, changed with UpdateStack where it has not.
   */
  desired: z.enum(['present', 'absent', 'updated']),
  /** `updated` only: the parameter values every stack must have (the others keep theirs). */
  parameterValues: z.record(z.string(), z.string()).optional(),
  stacks: z.array(StackSpecSchema),
  /** Absent on the first call of a loop. */
  progress: StackProgressSchema.optional(),
  /** Parameters decided after planning (the claimed route), added to every stack created. */
  extraParameters: z.record(z.string(), z.string()).optional(),
  redriveCount: z.number().int().nonnegative(),
});
export type ConvergeStacksInput = z.infer<typeof ConvergeStacksInputSchema>;

// RegisterTenantRoute (functions/register-route), ResultPath "$.route"
export const RegisterRouteInputSchema = z.object({
  request: TenantRequestSchema,
  route: RouteSpecSchema,
  isolationModel: z.enum(['pool', 'silo-services', 'silo-cluster']),
  redriveCount: RedriveCountSchema,
});
/**
 * Pool tenants: the step creates the rule to the pooled target group (ruleArn, targetGroupArn set).
 * Silo tenants: the step claims the priority and the tenant's stack creates the rule with its own
 * target group, from `stackParameters` (ruleArn and targetGroupArn absent).
 */
const RouteRegistrationSchema = z.object({
  listenerArn: z.string(),
  priority: z.number().int().positive(),
  ruleArn: z.string().optional(),
  targetGroupArn: z.string().optional(),
  style: z.enum(['host', 'header']),
  value: z.string(),
  headerName: z.string().optional(),
  /** Template parameters of the route (RouteParameter names); empty for pool tenants. */
  stackParameters: z.record(z.string(), z.string()),
});
export type RouteRegistration = z.infer<typeof RouteRegistrationSchema>;

// RemoveTenantRoute (functions/remove-route), ResultPath "$.routeRemoval"
export const RemoveRouteInputSchema = z.object({ request: TenantRequestSchema, redriveCount: RedriveCountSchema });
export interface RouteRemoval {
  /** False when the tenant had no route (pool onboarding that failed early, or already removed). */
  readonly removed: boolean;
}

// SetTenantRouteAction (functions/set-route-action), ResultPath "$.routeAction"
export const SetRouteActionInputSchema = z.object({
  request: TenantRequestSchema,
  /** `suspended`: the fixed "suspended" response; `active`: forward to the recorded target group. */
  desired: z.enum(['suspended', 'active']),
  redriveCount: RedriveCountSchema,
});
export interface RouteActionOutput {
  /** False when the rule already had the action (no ModifyRule call). */
  readonly changed: boolean;
  readonly action: 'forward' | 'fixed-response';
}

// PlanTierChange, CreatePooledTenantRule, RecordTierSwitch, DeleteOldPooledRule, FinishTierChange,
// FinishAdoptedTierChange, AbandonTierChange (functions/change-tier)
export const ChangeTierInputSchema = z.object({
  request: TenantRequestSchema,
  action: z.enum([
    'plan',
    'pool-rule',
    'switched',
    'retire-pool-rule',
    'retired',
    'finish',
    'finish-and-replan',
    'abandon',
  ]),
  redriveCount: RedriveCountSchema,
});

// RequestDataMigration (functions/migration-hook), the Payload of a `.waitForTaskToken` Task
export const MigrationHookInputSchema = z.object({
  request: TenantRequestSchema,
  /** `$$.Task.Token`: the application answers the event with it. */
  taskToken: z.string().min(1),
  redriveCount: RedriveCountSchema,
});

// VerifyTenantServices / RecheckTenantServices (functions/check-services), ResultPath "$.serviceProgress"
const ServiceProgressSchema = z.object({
  ready: z.boolean(),
  polls: z.number().int().nonnegative(),
  waitSeconds: z.number().int().positive(),
  /** Seconds waited so far in this attempt (bounded by the services deadline). */
  elapsedSeconds: z.number().int().nonnegative(),
  /**
   * `$$.Execution.RedriveCount` of the attempt that wrote this progress; a larger one in the input
   * means a redrive, which starts a fresh budget. Absent in progress written before it existed: 0.
   */
  redriveCount: z.number().int().nonnegative().optional(),
});
export type ServiceProgress = z.infer<typeof ServiceProgressSchema>;
export const CheckServicesInputSchema = z.object({
  request: TenantRequestSchema,
  clusterName: z.string().min(1),
  /** Comma-separated, as the template outputs them. */
  serviceNames: z.string().min(1),
  progress: ServiceProgressSchema.optional(),
  redriveCount: RedriveCountSchema,
});

// The Await* states (functions/await-change), `.waitForTaskToken` Tasks between two looks of a stack
// or services loop: the payload carries the task token and what the loop watches.
export const AwaitChangeInputSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('stacks'),
    request: TenantRequestSchema,
    taskToken: z.string().min(1),
    redriveCount: RedriveCountSchema,
    desired: z.enum(['present', 'absent', 'updated']),
    stacks: z.array(z.object({ stackName: z.string().min(1) })).min(1),
    progress: StackProgressSchema,
  }),
  z.object({
    kind: z.literal('services'),
    request: TenantRequestSchema,
    taskToken: z.string().min(1),
    redriveCount: RedriveCountSchema,
    clusterName: z.string().min(1),
    /** Comma-separated, as the template outputs them. */
    serviceNames: z.string().min(1),
    progress: ServiceProgressSchema,
  }),
]);
export type AwaitChangeInput = z.infer<typeof AwaitChangeInputSchema>;

// ActivateTenant / MarkTenantDeleted (functions/complete-operation), ResultPath "$.completion"
export const CompleteOperationInputSchema = z.object({
  request: TenantRequestSchema,
  plan: PlanSchema.optional(),
  route: RouteRegistrationSchema.optional(),
  redriveCount: RedriveCountSchema,
});
export interface CompleteOperationOutput {
  /** Onboarding: the JSON string the control plane stores as `tenantConfig`. */
  readonly tenantConfig?: string;
}

// SendProvisionSuccess / SendDeprovisionSuccess (functions/send-reply), ResultPath "$.reply"
export const SendReplyInputSchema = z.object({
  request: TenantRequestSchema,
  tenantConfig: z.string().optional(),
  /** Update: the completion step's output, whose tenantConfig (when the tenant has one) the reply carries. */
  completion: z.object({ tenantConfig: z.string().optional() }).optional(),
  redriveCount: RedriveCountSchema,
});
export interface SendReplyOutput {
  readonly eventId: string;
}

/** Parses a step's input, turning a mismatch into {@link InvalidStepInputError}. */
export function parseStepInput<T>(schema: z.ZodType<T>, input: unknown, step: string): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidStepInputError(`${step} received unexpected input: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}
