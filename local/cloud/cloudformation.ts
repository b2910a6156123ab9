/**
 * An in-process stand-in for the CloudFormation calls the orchestrator makes: CreateStack,
 * UpdateStack, DescribeStacks, DescribeStackEvents and DeleteStack on tenant stacks. Each
 * operation's events are laid out when it starts (stack-timeline.ts, stack-update.ts); status and
 * events follow the clock lazily.
 */
import { randomUUID } from 'node:crypto';
import {
  AlreadyExistsException,
  type CreateStackCommandInput,
  type CreateStackCommandOutput,
  type DeleteStackCommandInput,
  type DeleteStackCommandOutput,
  type DescribeStackEventsCommandInput,
  type DescribeStackEventsCommandOutput,
  type DescribeStacksCommandInput,
  type DescribeStacksCommandOutput,
  type DetectStackDriftCommandInput,
  type DetectStackDriftCommandOutput,
  type ListStacksCommandInput,
  type ListStacksCommandOutput,
  type UpdateStackCommandInput,
  type UpdateStackCommandOutput,
} from '@aws-sdk/client-cloudformation';
import {
  cloudFormationValidationError,
  decodePageToken,
  encodePageToken,
  errorMetadata,
  responseMetadata,
  simulatedAccount,
  simulatedRegion,
} from './aws-shapes.ts';
import { systemClock, type Clock } from './clock.ts';
import type { EcsSimulator } from './ecs.ts';
import type { LoadBalancingSimulator } from './elb.ts';
import { FaultInjector } from './faults.ts';
import {
  configurationAt,
  eventView,
  failureRule,
  resourceStatusesAt,
  stackStatusAt,
  stackView,
  takeFailure,
  visibleEntries,
  type CloudFormationState,
  type StackRecord,
} from './stack-records.ts';
import { driftCheckMs, stackDrifted } from './stack-drift.ts';
import { applyCloudEffect, type CloudEffect } from './stack-effects.ts';
import { failStackCreation, listenerRuleRefusal, refusedCreation, refusedDeletion } from './stack-failures.ts';
import { checkClientRequestToken, checkCreateRequest, checkStackName, checkUpdateRequest } from './stack-requests.ts';
import {
  createTimeline,
  deleteTimeline,
  tenantStackResources,
  type ResourceFailure,
  type TimelineEntry,
} from './stack-timeline.ts';
import {
  failRollbackAt,
  failUpdateAt,
  isRollbackEntry,
  planChanges,
  updateTimeline,
  type UpdatePlan,
} from './stack-update.ts';
import { tenantTemplateModel, type TemplateModel } from './template-model.ts';

export type { CloudFormationState } from './stack-records.ts';

export interface CloudFormationSimulatorOptions {
  /** @default Date.now */
  readonly now?: Clock;
  /** From CreateStack to CREATE_COMPLETE (or to the failing resource's CREATE_FAILED). @default 1500 */
  readonly createMs?: number;
  /** From DeleteStack to DELETE_COMPLETE (or DELETE_FAILED). @default 1000 */
  readonly deleteMs?: number;
  /** From ROLLBACK_IN_PROGRESS to ROLLBACK_COMPLETE (and UPDATE_ROLLBACK_IN_PROGRESS to its cleanup). @default deleteMs */
  readonly rollbackMs?: number;
  /** From UpdateStack to UPDATE_COMPLETE_CLEANUP_IN_PROGRESS (or to the failing resource's UPDATE_FAILED). @default createMs */
  readonly updateMs?: number;
  /** What a stack creates. @default tenantTemplateModel() (the real tenant templates) */
  readonly model?: TemplateModel;
  /** Gets the clusters and services of completed stacks, and loses them when stacks are deleted. */
  readonly ecs?: EcsSimulator;
  /** Gets the target groups of completed stacks; a target group a rule uses fails the stack's deletion. */
  readonly elb?: LoadBalancingSimulator;
}

/** How a failure is injected: which resource fails (default: the first ECS service). */
export interface InjectedFailureOptions {
  readonly logicalResourceId?: string;
}

/** How an update failure is injected. */
export interface InjectedUpdateFailureOptions extends InjectedFailureOptions {
  /** The rollback fails too, with this reason: the stack ends in UPDATE_ROLLBACK_FAILED. */
  readonly rollbackFailureReason?: string;
}

/**
 * The statuses UpdateStack accepts: a stack at rest that has a template to update from.
 * ROLLBACK_COMPLETE (a failed creation) can only be deleted; UPDATE_ROLLBACK_FAILED needs
 * ContinueUpdateRollback first (not modelled); anything in progress is refused.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes
 */
const updatableStatuses: ReadonlySet<string> = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
]);

/** Statuses an update passes through before coming to rest; a DeleteStack waits for their end. */
const updatingStatuses: ReadonlySet<string> = new Set([
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
]);

const eventsPerPage = 100;

/** Simulates tenant stacks. */
export class CloudFormationSimulator {
  readonly #now: Clock;
  readonly #createMs: number;
  readonly #deleteMs: number;
  readonly #rollbackMs: number;
  readonly #updateMs: number;
  readonly #model: TemplateModel;
  readonly #ecs: EcsSimulator | undefined;
  readonly #elb: LoadBalancingSimulator | undefined;
  readonly #faults = new FaultInjector();
  #state: CloudFormationState = { version: 1, stacks: [], createFailures: [], deleteFailures: [], updateFailures: [] };

  constructor(options: CloudFormationSimulatorOptions = {}) {
    this.#now = options.now ?? systemClock;
    this.#createMs = options.createMs ?? 1500;
    this.#deleteMs = options.deleteMs ?? 1000;
    this.#rollbackMs = options.rollbackMs ?? this.#deleteMs;
    this.#updateMs = options.updateMs ?? this.#createMs;
    this.#model = options.model ?? tenantTemplateModel();
    this.#ecs = options.ecs;
    this.#elb = options.elb;
    // The other simulators see a stack's effects as soon as its time has come, whoever is asked first.
    this.#ecs?.onBeforeCall(() => this.settle());
    this.#elb?.onBeforeCall(() => this.settle());
  }

  /** The next create of a stack matching `match` (exact name or pattern) fails and rolls back with `reason`. */
  failNextCreate(match: string | RegExp, reason: string, options: InjectedFailureOptions = {}): void {
    this.#state.createFailures.push(failureRule(match, reason, options.logicalResourceId));
  }

  /** The next delete of a stack matching `match` ends in DELETE_FAILED with `reason`. */
  failNextDelete(match: string | RegExp, reason: string, options: InjectedFailureOptions = {}): void {
    this.#state.deleteFailures.push(failureRule(match, reason, options.logicalResourceId));
  }

  /**
   * The next update of a stack matching `match` fails on a changed resource (default: the first
   * changed ECS service) with `reason` and rolls back; with `rollbackFailureReason` the rollback
   * fails too. An update that changes no resource is not failed (the rule waits for the next).
   */
  failNextUpdate(match: string | RegExp, reason: string, options: InjectedUpdateFailureOptions = {}): void {
    this.#updateFailures().push(failureRule(match, reason, options.logicalResourceId, options.rollbackFailureReason));
  }

  /** The next `times` calls of `operation` (e.g. `DescribeStacks`) throw `error`. */
  injectError(operation: string, error: Error, times = 1): void {
    this.#faults.inject(operation, error, times);
  }

  /**
   * CreateStack: starts creating a stack; refuses a live stack of the same name
   * (AlreadyExistsException) and a token already used on this stack name (see checkClientRequestToken).
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
   */
  createStack(input: CreateStackCommandInput): CreateStackCommandOutput {
    this.#enter('CreateStack');
    const stackName = input.StackName ?? '';
    checkStackName(stackName);
    checkClientRequestToken(input.ClientRequestToken, stackName, this.#state.stacks);
    if (this.#live(stackName) !== undefined) {
      const message = `Stack [${stackName}] already exists`;
      throw new AlreadyExistsException({ message, Message: message, $metadata: errorMetadata() });
    }
    const { templateUrl, model, capabilities } = checkCreateRequest(input, this.#model);
    const now = this.#now();
    const stack = {
      stackName,
      stackId: `arn:aws:cloudformation:${simulatedRegion}:${simulatedAccount}:stack/${stackName}/${randomUUID()}`,
    };
    const resources = tenantStackResources(stack, model, input.Tags ?? []);
    const record: StackRecord = {
      ...stack,
      templateUrl,
      parameters: structuredClone(input.Parameters ?? []),
      tags: structuredClone(input.Tags ?? []),
      capabilities: [...capabilities],
      disableRollback: input.DisableRollback ?? input.OnFailure === 'DO_NOTHING',
      ...(input.RoleARN !== undefined ? { roleArn: input.RoleARN } : {}),
      creationTime: now,
      ...(input.ClientRequestToken !== undefined ? { createToken: input.ClientRequestToken } : {}),
      model,
      resources,
      timeline: [],
    };
    const failure = this.#createFailure(record);
    record.timeline = createTimeline({
      stack,
      resources,
      start: now,
      createMs: this.#createMs,
      rollbackMs: this.#rollbackMs,
      ...(input.ClientRequestToken !== undefined ? { clientRequestToken: input.ClientRequestToken } : {}),
      // OnFailure DELETE is played as ROLLBACK (the stack stays in ROLLBACK_COMPLETE); see index.ts.
      onFailure: record.disableRollback ? 'DO_NOTHING' : 'ROLLBACK',
      ...(failure !== undefined ? { failure } : {}),
      registration: {
        kind: 'register-stack',
        clusterName: model.clusterName,
        ownCluster: model.ownCluster,
        services: model.services,
        targetGroupArn: model.targetGroupArn,
      },
    });
    this.#state.stacks.push(record);
    return { StackId: stack.stackId, $metadata: responseMetadata() };
  }

  /**
   * UpdateStack: starts updating a stack at rest (CREATE_COMPLETE, UPDATE_COMPLETE,
   * UPDATE_ROLLBACK_COMPLETE) to a new TemplateURL or the previous template with new parameters;
   * refuses any other status ("... is in <status> state and can not be updated."), a token already
   * used on this stack name (as CreateStack and DeleteStack), missing capabilities, and an update
   * that changes nothing ("No updates are to be performed."). The template is evaluated again
   * with the new parameters; each changed resource's effect (the rule's actions and conditions, a
   * service's desired count, a new or removed service) reaches ELB and ECS when its event comes due.
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html
   */
  updateStack(input: UpdateStackCommandInput): UpdateStackCommandOutput {
    this.#enter('UpdateStack');
    const stack = this.#find(input.StackName ?? '');
    if (stack === undefined) throw cloudFormationValidationError(`Stack [${input.StackName ?? ''}] does not exist`);
    checkClientRequestToken(input.ClientRequestToken, stack.stackName, this.#state.stacks);
    const now = this.#now();
    const status = stackStatusAt(stack, now);
    if (!updatableStatuses.has(status))
      throw cloudFormationValidationError(`Stack:${stack.stackId} is in ${status} state and can not be updated.`);
    const previous = configurationAt(stack, now);
    const next = checkUpdateRequest(input, previous, stack.tags, this.#model, stack.stackName);
    const failureRules = this.#updateFailures();
    const { changes, removals } = planChanges(stack, previous, next, stack.tags);
    const failure = changes.length > 0 ? takeFailure(failureRules, stack.stackName) : undefined;
    const plan: UpdatePlan = {
      start: now,
      ...(input.ClientRequestToken !== undefined ? { clientRequestToken: input.ClientRequestToken } : {}),
      previous,
      next,
      changes,
      removals,
      updateMs: this.#updateMs,
      rollbackMs: this.#rollbackMs,
      deleteMs: this.#deleteMs,
      ...(failure?.rollbackFailureReason !== undefined ? { rollbackFailureReason: failure.rollbackFailureReason } : {}),
    };
    const { entries, rollbackAt } = updateTimeline(stack, plan, failure);
    stack.timeline.push(...entries);
    stack.lastUpdate = plan;
    stack.revisions = [
      ...(stack.revisions ?? []),
      { at: now, configuration: next },
      ...(rollbackAt !== undefined ? [{ at: rollbackAt, configuration: previous }] : []),
    ];
    const known = new Set(stack.resources.map((resource) => resource.logicalResourceId));
    stack.resources.push(
      ...changes.map((change) => change.resource).filter((resource) => !known.has(resource.logicalResourceId)),
    );
    return { StackId: stack.stackId, $metadata: responseMetadata() };
  }

  /**
   * DescribeStacks: one stack by name (live only) or stack id (deleted ones too: "Deleted stacks:
   * You must specify the unique stack ID"), or every live stack; an unknown stack is a ValidationError.
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
   */
  describeStacks(input: DescribeStacksCommandInput = {}): DescribeStacksCommandOutput {
    this.#enter('DescribeStacks');
    const now = this.#now();
    if (input.StackName === undefined) {
      const live = this.#state.stacks.filter((stack) => stackStatusAt(stack, now) !== 'DELETE_COMPLETE');
      return { Stacks: live.reverse().map((stack) => stackView(stack, now)), $metadata: responseMetadata() };
    }
    const stack = this.#find(input.StackName);
    if (stack === undefined) throw cloudFormationValidationError(`Stack with id ${input.StackName} does not exist`);
    return { Stacks: [stackView(stack, now)], $metadata: responseMetadata() };
  }

  /**
   * DetectStackDrift: starts a drift check of a live stack (stack-drift.ts); its result shows in
   * DescribeStacks' DriftInformation once it completes. An unknown stack is a ValidationError.
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DetectStackDrift.html
   */
  detectStackDrift(input: DetectStackDriftCommandInput): DetectStackDriftCommandOutput {
    this.#enter('DetectStackDrift');
    const now = this.#now();
    const stack = this.#find(input.StackName ?? '');
    if (stack === undefined || stackStatusAt(stack, now) === 'DELETE_COMPLETE')
      throw cloudFormationValidationError(`Stack with id ${input.StackName ?? ''} does not exist`);
    const check = {
      id: randomUUID(),
      completesAt: now + driftCheckMs,
      drifted: stackDrifted(configurationAt(stack, now).model, this.#ecs, this.#elb),
    };
    stack.driftChecks = [...(stack.driftChecks ?? []), check];
    return { StackDriftDetectionId: check.id, $metadata: responseMetadata() };
  }

  /**
   * ListStacks: a summary of each stack, deleted ones included ("for up to 90 days after the stack
   * has been deleted"), only those in a `StackStatusFilter` status when one is given; no tags,
   * outputs or parameters (DescribeStacks has those). Every stack fits on one page here.
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStacks.html
   */
  listStackSummaries(input: ListStacksCommandInput = {}): ListStacksCommandOutput {
    this.#enter('ListStacks');
    const now = this.#now();
    const wanted = input.StackStatusFilter === undefined ? undefined : new Set<string>(input.StackStatusFilter);
    const summaries = [...this.#state.stacks].reverse().flatMap((stack) => {
      const view = stackView(stack, now);
      if (wanted !== undefined && !wanted.has(String(view.StackStatus))) return [];
      return [
        {
          StackId: view.StackId,
          StackName: view.StackName,
          CreationTime: view.CreationTime,
          StackStatus: view.StackStatus,
          ...(view.DeletionTime !== undefined ? { DeletionTime: view.DeletionTime } : {}),
          ...(view.LastUpdatedTime !== undefined ? { LastUpdatedTime: view.LastUpdatedTime } : {}),
        },
      ];
    });
    return { StackSummaries: summaries, $metadata: responseMetadata() };
  }

  /**
   * DescribeStackEvents: "in reverse chronological order", deleted stacks by stack id. The API
   * reference pages by size (NextToken past 1 MB); pages of 100 events stand in for that here.
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackEvents.html
   */
  describeStackEvents(input: DescribeStackEventsCommandInput): DescribeStackEventsCommandOutput {
    this.#enter('DescribeStackEvents');
    const stackName = input.StackName ?? '';
    const stack = this.#find(stackName);
    if (stack === undefined) throw cloudFormationValidationError(`Stack [${stackName}] does not exist`);
    const events = visibleEntries(stack, this.#now()).reverse();
    // The token counts the older events still to come, so events added meanwhile do not shift pages.
    const remaining = input.NextToken === undefined ? events.length : decodePageToken(input.NextToken);
    if (remaining === undefined || remaining > events.length) throw cloudFormationValidationError('Invalid NextToken');
    const start = events.length - remaining;
    const page = events.slice(start, start + eventsPerPage);
    const left = remaining - page.length;
    return {
      StackEvents: page.map((entry) => eventView(stack, entry)),
      ...(left > 0 ? { NextToken: encodePageToken(left) } : {}),
      $metadata: responseMetadata(),
    };
  }

  /**
   * DeleteStack: starts deleting a stack; succeeds for an unknown or already deleted stack, as AWS
   * does. A token already used on this stack name is refused first (see checkClientRequestToken).
   * Resources are deleted in reverse creation order ("Resource A is deleted before resource B" when
   * A refers to B): https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-dependson.html
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeleteStack.html
   */
  deleteStack(input: DeleteStackCommandInput): DeleteStackCommandOutput {
    this.#enter('DeleteStack');
    const stack = this.#find(input.StackName ?? '');
    const stackName = stack?.stackName ?? input.StackName ?? '';
    checkClientRequestToken(input.ClientRequestToken, stackName, this.#state.stacks);
    const now = this.#now();
    const status = stack === undefined ? undefined : stackStatusAt(stack, now);
    if (stack === undefined || status === 'DELETE_COMPLETE' || status === 'DELETE_IN_PROGRESS')
      return { $metadata: responseMetadata() };
    // A rollback or an update runs to its end first (UNCONFIRMED for updates: AWS documents no
    // DeleteStack during an update); a creation in progress is cancelled now.
    const start =
      status === 'ROLLBACK_IN_PROGRESS' || updatingStatuses.has(status ?? '')
        ? Math.max(...stack.timeline.map((entry) => entry.at))
        : now;
    stack.timeline = stack.timeline.filter((entry) => entry.at <= start);
    const statuses = resourceStatusesAt(stack, start);
    const present = stack.resources.filter(
      (resource) =>
        statuses.has(resource.logicalResourceId) && statuses.get(resource.logicalResourceId) !== 'DELETE_COMPLETE',
    );
    const creating = present.filter((resource) => statuses.get(resource.logicalResourceId) === 'CREATE_IN_PROGRESS');
    const failure = this.#deleteFailure(stack, present);
    stack.timeline.push(
      ...deleteTimeline({
        stack,
        existing: present.filter((resource) => !creating.includes(resource)),
        creating,
        start,
        deleteMs: this.#deleteMs,
        ...(input.ClientRequestToken !== undefined ? { clientRequestToken: input.ClientRequestToken } : {}),
        ...(failure !== undefined ? { failure } : {}),
      }),
    );
    return { $metadata: responseMetadata() };
  }

  /**
   * When the next stack or resource event of any stack happens after `now` (epoch ms), for a
   * simulated clock that jumps to it; undefined when nothing is under way.
   */
  nextChangeAt(now = this.#now()): number | undefined {
    let next: number | undefined;
    for (const stack of this.#state.stacks) {
      for (const entry of stack.timeline)
        if (entry.at > now && (next === undefined || entry.at < next)) next = entry.at;
    }
    return next;
  }

  /** Every stack ever created, deleted ones included, for inspection. */
  listStacks(): { stackName: string; stackId: string; status: string; tags: Record<string, string> }[] {
    // A refused listener rule changes a stack's course when its time comes.
    this.settle();
    const now = this.#now();
    return this.#state.stacks.map((stack) => ({
      stackName: stack.stackName,
      stackId: stack.stackId,
      status: stackStatusAt(stack, now),
      tags: Object.fromEntries(stack.tags.map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
    }));
  }

  /**
   * The routed service (slot 0) behind a target group a live stack created, for inspection (route
   * answers); undefined for a target group no stack made (the pooled one).
   */
  routedServiceOf(targetGroupArn: string): { clusterName: string; serviceName: string } | undefined {
    this.settle();
    const now = this.#now();
    for (const stack of this.#state.stacks) {
      if (stackStatusAt(stack, now) === 'DELETE_COMPLETE') continue;
      const { model } = configurationAt(stack, now);
      const service = model.services[0];
      if (model.targetGroupArn === targetGroupArn && service !== undefined)
        return { clusterName: model.clusterName, serviceName: service.name };
    }
    return undefined;
  }

  /**
   * Applies the effects on ECS and ELB of every stack event whose time has come, oldest first.
   * Calls do this themselves. A listener rule ELB refuses fails its stack from there on, which
   * rewrites that stack's future, so the next due entry is looked up afresh each time.
   */
  settle(): void {
    const now = this.#now();
    for (let next = this.#nextDue(now); next !== undefined; next = this.#nextDue(now)) {
      const { stack, entry, effect } = next;
      entry.applied = true;
      try {
        applyCloudEffect(effect, entry.at, this.#ecs, this.#elb);
      } catch (error) {
        const reason = listenerRuleRefusal(error);
        if (reason === undefined) throw error;
        if (effect.kind === 'update-listener-rule' && stack.lastUpdate !== undefined)
          this.#failUpdate(stack, stack.lastUpdate, entry, reason);
        else failStackCreation(stack, entry, reason, this.#rollbackMs);
      }
    }
  }

  /** The whole state as plain JSON (injected per-call errors are not part of it). */
  toJSON(): CloudFormationState {
    return structuredClone(this.#state);
  }

  /** Replaces the whole state with one `toJSON` wrote. */
  fromJSON(state: CloudFormationState): void {
    if (state.version !== 1)
      throw new Error(`Unsupported CloudFormation simulator state version ${String(state.version)}`);
    this.#state = structuredClone(state);
  }

  #enter(operation: string): void {
    this.settle();
    this.#faults.check(operation);
  }

  #live(stackName: string): StackRecord | undefined {
    const now = this.#now();
    return this.#state.stacks.findLast(
      (stack) => stack.stackName === stackName && stackStatusAt(stack, now) !== 'DELETE_COMPLETE',
    );
  }

  /** A stack by id (any, deleted included) or by name (live only), as the APIs resolve StackName. */
  #find(nameOrId: string): StackRecord | undefined {
    if (nameOrId.startsWith('arn:')) return this.#state.stacks.find((stack) => stack.stackId === nameOrId);
    return this.#live(nameOrId);
  }

  /** The oldest unapplied effect whose time has come, across stacks (ties: stack order, then timeline order). */
  #nextDue(now: number): { stack: StackRecord; entry: TimelineEntry; effect: CloudEffect } | undefined {
    let next: { stack: StackRecord; entry: TimelineEntry; effect: CloudEffect } | undefined;
    for (const stack of this.#state.stacks) {
      const entry = stack.timeline.find(
        (candidate) => candidate.effect !== undefined && candidate.applied !== true && candidate.at <= now,
      );
      if (entry?.effect !== undefined && (next === undefined || entry.at < next.entry.at))
        next = { stack, entry, effect: entry.effect };
    }
    return next;
  }

  #updateFailures(): NonNullable<CloudFormationState['updateFailures']> {
    this.#state.updateFailures ??= [];
    return this.#state.updateFailures;
  }

  /** ELB refused an update's change when it came due: the update fails there and rolls back (or its rollback fails). */
  #failUpdate(stack: StackRecord, plan: UpdatePlan, refused: TimelineEntry, reason: string): void {
    if (isRollbackEntry(stack, plan, refused)) {
      stack.timeline = failRollbackAt(stack, plan, refused, reason);
      return;
    }
    const { entries, rollbackAt } = failUpdateAt(stack, plan, refused, reason);
    stack.timeline = entries;
    stack.revisions = [...(stack.revisions ?? []), { at: rollbackAt, configuration: plan.previous }];
  }

  #createFailure(record: StackRecord): ResourceFailure | undefined {
    return takeFailure(this.#state.createFailures, record.stackName) ?? refusedCreation(record, this.#ecs);
  }

  #deleteFailure(record: StackRecord, present: readonly { logicalResourceId: string }[]): ResourceFailure | undefined {
    return takeFailure(this.#state.deleteFailures, record.stackName) ?? refusedDeletion(record, present, this.#elb);
  }
}
