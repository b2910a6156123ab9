/**
 * The local runtime's public surface: what the CLI, the workflow tests and the benchmarks use.
 * Implemented by `openLocalRuntime` in ./runtime.ts.
 */
import type { CloudEventCounts, CloudEventOptions } from './cloud-events.ts';
import type { Finding } from '../../functions/reconcile/findings.ts';
import type { RepairedFinding } from '../../functions/reconcile/repair.ts';
import type { PinOutcome } from '../../functions/shared/registry/pins.ts';
import type { TenantRecord } from '../../functions/shared/registry/tenants.ts';
import type { SweepSummary } from '../../functions/sweep-failures/sweep.ts';
import type { HistoryEntry, LocalWorkflow, WorkflowName } from '../workflow-runner.ts';
import type { RolloutInput } from '../../functions/rollout/progress.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/**
 * How a listing shows an execution: Step Functions' status, except `SUPERSEDED` for an execution
 * that SUCCEEDED by ending in the workflows' `Superseded` state (it lost the tenant to a newer
 * operation, changed nothing after that and sent no reply).
 */
export type ExecutionOutcome = ExecutionStatus | 'SUPERSEDED';

export interface ExecutionSummary {
  readonly executionArn: string;
  readonly name: string;
  readonly workflow: LocalWorkflow;
  readonly status: ExecutionOutcome;
  readonly startedAt: string;
  readonly stoppedAt?: string;
  readonly tenantId?: string;
  readonly registrationId?: string;
  /** Where a failed execution stopped, and why. */
  readonly failedState?: string;
  readonly error?: string;
  readonly cause?: string;
  /** The execution this one replays, if any. */
  readonly replayOf?: string;
  /** Times the execution was redriven (absent: never). */
  readonly redriveCount?: number;
  /** State transitions so far (the unit Standard workflows are billed by). */
  readonly transitions: number;
}

/** An event the local control plane received on the bus (replies). */
export interface ReceivedReply {
  readonly receivedAt: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  /** The execution that sent it (directly, or through the failure reporter), when known. */
  readonly executionArn?: string;
}

/** An event the local bus could not deliver: no rule matched it, or its target kept failing. */
export interface UndeliveredEvent {
  readonly at: string;
  readonly source?: string;
  readonly detailType?: string;
  /** The rule whose target failed; absent when no rule matched. */
  readonly rule?: string;
  readonly reason: string;
}

/**
 * What a listener rule does with a request that matches it: its final action ("Each rule must
 * include exactly one of the following types of actions: forward, fixed-response, or redirect,
 * and it must be the last action to be performed";
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Action.html).
 * A forward to one target group names it; a weighted forward to several lists them with their
 * weights; a fixed response shows what the client gets (`null` where the rule sets nothing);
 * any other action only its type.
 */
export type RuleAction =
  | { readonly type: 'forward'; readonly targetGroupArn: string }
  | {
      readonly type: 'forward';
      readonly targetGroups: readonly { readonly targetGroupArn: string; readonly weight: number | null }[];
    }
  | {
      readonly type: 'fixed-response';
      readonly statusCode: string;
      readonly contentType: string | null;
      readonly messageBody: string | null;
    }
  | { readonly type: string };

/** The rule that answers a request on a listener, its action and whether something healthy is behind a forward. */
export interface RouteAnswer {
  readonly ruleArn: string;
  readonly priority: string;
  readonly action: RuleAction;
  readonly healthy: boolean;
}

/** What the simulated cloud holds right now. */
export interface CloudResources {
  readonly stacks: readonly { stackName: string; status: string; tags: Record<string, string> }[];
  readonly rules: readonly {
    ruleArn: string;
    listenerArn: string;
    priority: string;
    tenantId?: string;
    conditions: string;
    action: RuleAction;
  }[];
  readonly services: readonly { cluster: string; serviceName: string; desiredCount: number; runningCount: number }[];
}

/** An out-of-band change `drift` makes (LocalRuntime.driftTenant). */
export type DriftChange = 'delete-rule' | 'delete-stack' | 'scale-to-zero';

/** A drift that cannot be made: the tenant is not live, or has no such resource. */
export class DriftError extends Error {
  override readonly name = 'DriftError' as const;
}

/** Outcome of putting one event on the local bus. */
export interface SendResult {
  /** The workflow the event's pattern matched, if any (a reply-type or unknown event matches none). */
  readonly workflow?: WorkflowName;
  /** The execution it started; its final state when `wait` was true. */
  readonly execution?: ExecutionSummary;
  /** Replies that arrived while this call ran (for a waited send: the reply to this request). */
  readonly replies: readonly ReceivedReply[];
  /**
   * The admission function could not start the workflow (throttled, or the open-executions quota),
   * so its invocation was retried with backoff: it started on a retry (`retried`), is still being
   * retried (`retrying`, when not waited for), or was kept in the dead-letter queue past the last
   * attempt (`dead-lettered`). Absent when the workflow started at once.
   */
  readonly delivery?: 'retried' | 'retrying' | 'dead-lettered';
  /**
   * What the admission function decided when it did not start a new execution: `rejected`, the
   * request cannot be answered (no usable registration id): nothing started, the rejection is
   * logged; `duplicate`, an execution already has the event's id as its name (a redelivery):
   * `execution` is that one. Absent when it started the workflow.
   */
  readonly admission?: 'rejected' | 'duplicate';
}

/**
 * How an injected SDK call fails, with the service's own error name:
 * - `client` (default): a client fault named `InjectedFault`, which no adapter knows: the step fails at once.
 * - `throttling`: the service's throttling error (`Throttling`, `ThrottlingException`,
 *   `ProvisionedThroughputExceededException`), HTTP 400: adapters turn it into TransientAwsError, which the workflow retries.
 * - `server`: the service's 5xx (`ServiceUnavailable`, `InternalServerError`...): TransientAwsError as well.
 */
export type SdkFaultKind = 'client' | 'throttling' | 'server';

/**
 * How an injected step fault fails a task attempt:
 * - `error` (default): the task throws `InjectedFault` before its handler runs.
 * - `throttled`: Lambda refuses the invocation with `Lambda.TooManyRequestsException`, as when the
 *   function is at its concurrency limit: the handler does not run, and the state's throttling
 *   retrier tries again.
 * - `timeout-after`: the handler runs to the end (its side effects happen), then the attempt fails
 *   with `Sandbox.Timedout`, as when Lambda times out after the work was done: the workflow retries
 *   the step, which must not do the work twice.
 */
export type StepFaultKind = 'error' | 'throttled' | 'timeout-after';

/**
 * A failure to rehearse: `{ step: 'CreateTenantStacks' }` fails that state's task once per attempt
 * (`times`, default: every attempt until `clearFaults`); `{ service: 'CloudFormation', operation: 'CreateStack' }`
 * makes that SDK call fail inside the real client, only while the Task state `during` runs when given
 * (the failure reporter's calls are then left alone).
 */
export type InjectedFault = (
  | { readonly step: string; readonly kind?: StepFaultKind; readonly times?: number }
  | {
      readonly service: string;
      readonly operation: string;
      readonly kind?: SdkFaultKind;
      readonly times?: number;
      readonly during?: string;
    }
) & {
  /**
   * Only in the executions working for this tenant (`--fail ...@TENANT_ID`): a rollout or a burst can
   * then fail one tenant and not the others. The failure reporter's calls, which run outside any
   * Task, are left alone.
   */
  readonly tenantId?: string;
};

/** Why starting a workflow fails (`startExecutionFailures`): Step Functions throttling, or its open-executions quota. */
export type StartFailureKind = 'throttled' | 'quota';

/**
 * A request whose workflow could not be started after every retry (of the admission function's
 * invocation, or of the rule's delivery): kept, never dropped, until it is redriven. Mirrors a
 * message of the request dead-letter queue: the event (the body of an EventBridge dead-letter
 * message, the `requestPayload` of a Lambda on-failure record), which rule, and why.
 */
export interface DeadLetter {
  /** Unique id of the dead-letter message. */
  readonly id: string;
  /** When the event was dead-lettered. */
  readonly at: string;
  /** The rule whose target refused the event. */
  readonly rule: string;
  /** The kind of the last error, as EventBridge's ERROR_CODE attribute names it: `THROTTLING`, `RESOURCE_LIMIT_EXCEEDED`, `UNKNOWN`. */
  readonly errorCode: string;
  /** The last error, `Name: message`. */
  readonly errorMessage: string;
  /** Delivery attempts made (the first and every retry). */
  readonly attempts: number;
  /** The event as the target would have received it. */
  readonly event: Record<string, unknown>;
}

/** What redriving one dead letter did. */
export interface RedrivenLetter {
  readonly deadLetterId: string;
  /** The bus accepted the event again; the outcome of its delivery is in `result`. */
  readonly result: SendResult;
}

/** Another live process holds the state folder (a command that changes state must wait or give up). */
export class StateFolderInUseError extends Error {
  override readonly name = 'StateFolderInUseError';
  constructor(
    readonly directory: string,
    /** The process id written in the folder's lock file. */
    readonly holder: number,
  ) {
    super(`The local state folder ${directory} is in use by process ${holder}; wait for it to finish`);
  }
}

export interface LocalRuntimeOptions {
  /** Folder holding the local cloud's state (default `.tenant-orchestrator` in the working directory). */
  readonly stateDirectory?: string;
  /**
   * Open on the state last saved in the folder without taking it (listings): another process may
   * hold it meanwhile, and nothing is saved on close. Default false.
   */
  readonly readOnly?: boolean;
  /** Simulated durations (ms): stack create/update/delete, service start. Defaults give a lively demo (~1-2 s). */
  readonly timings?: {
    readonly createMs?: number;
    readonly deleteMs?: number;
    /** From UpdateStack to the end of its resource changes. Default: `createMs`. */
    readonly updateMs?: number;
    readonly startMs?: number;
    /** Services start once DescribeServices saw them starting this many times, instead of after `startMs`. */
    readonly startLooks?: number;
    readonly waitMs?: number;
    /**
     * The Await states' fallback look (their TimeoutSeconds) comes after this many ms per minute of
     * it, as a Wait state of a polling loop ends after `waitMs`; their events usually end them
     * first. Default: `waitMs`.
     */
    readonly awaitMs?: number;
  };
  /**
   * CloudFormation's and ECS's events as the local cloud emits them (they end the Await states):
   * delayed, dropped, duplicated or reordered on request. Default: each delivered within ~25 ms.
   */
  readonly cloudEvents?: CloudEventOptions;
  /** Called for every state-level event of every execution (progress display). */
  readonly onEvent?: (execution: { executionArn: string; workflow: LocalWorkflow }, entry: HistoryEntry) => void;
  /**
   * Route listeners to configure (ROUTE_LISTENERS, which the handlers read, and the simulated load
   * balancers agree): `count` listeners, each on its own load balancer with a quota of `capacity`
   * tenant rules. Default: the configuration already in the environment (one listener, 100 rules).
   * The handlers read it once per process, so every runtime of a process must use the same one.
   */
  readonly routeListeners?: { readonly count: number; readonly capacity: number };
  /**
   * Run the failure sweep (the deployed schedule runs it every few minutes) once after every
   * execution that ends badly, once its status event was delivered or dropped, so a failure whose
   * event was dropped is still answered before the execution counts as done. `false`: only
   * `sweepFailures()` runs it. Default true.
   */
  readonly sweepAfterFailures?: boolean;
}

export interface LocalRuntime {
  /** The folder the state is kept in (absolute). Optional so fakes need not have it. */
  readonly stateDirectory?: string;
  /** Puts an event on the bus as the control plane would; starts the matching workflow. */
  send(event: unknown, options?: { wait?: boolean }): Promise<SendResult>;
  /** Runs a failed execution's input again as a new execution (completed side effects are not repeated). */
  replay(executionArn: string, options?: { wait?: boolean }): Promise<ExecutionSummary>;
  /**
   * Redrives a failed execution as the console's Redrive does: the same execution (same ARN, its
   * RedriveCount one higher) resumes at the state it failed at, with that state's input; the
   * states before it are not run again. Optional so fakes need not have it.
   */
  redrive?(executionArn: string, options?: { wait?: boolean }): Promise<ExecutionSummary>;
  /**
   * SendTaskSuccess to a callback task (`.waitForTaskToken`) of any execution in this process:
   * its result is `output`, a JSON text. Throws the SDK's TaskTimedOut, InvalidToken, InvalidOutput
   * or ValidationException as Step Functions does (local/task-tokens.ts). The handlers' own Step
   * Functions client is answered the same way. Optional so fakes need not have it.
   */
  sendTaskSuccess?(taskToken: string, output: string): void;
  /** SendTaskFailure: the callback task fails with `error` and `cause` (its Retry and Catch apply). */
  sendTaskFailure?(taskToken: string, error?: string, cause?: string): void;
  /** SendTaskHeartbeat: resets the callback task's HeartbeatSeconds timer (not its TimeoutSeconds). */
  sendTaskHeartbeat?(taskToken: string): void;
  /**
   * Waits until every running execution has ended (a callback task without TimeoutSeconds waits
   * until its token is answered).
   */
  drain(): Promise<void>;
  /** Changes how the local cloud's events are delivered from now on (and restarts their counts). Optional so fakes need not have it. */
  configureCloudEvents?(options: CloudEventOptions): void;
  /**
   * When the local cloud next changes on its own (a stack or resource event, a service starting),
   * epoch ms; undefined when nothing is under way. For a benchmark's simulated clock. Optional so
   * fakes need not have it.
   */
  nextCloudChangeAt?(): number | undefined;
  /** The local cloud's events since the runtime opened or was last configured: emitted, dropped, delivered (duplicates count twice). */
  cloudEventCounts?(): CloudEventCounts;
  injectFault(fault: InjectedFault): void;
  clearFaults(): void;
  executions(): ExecutionSummary[];
  execution(executionArnOrName: string): ExecutionSummary | undefined;
  history(executionArnOrName: string): HistoryEntry[];
  tenants(): Promise<TenantRecord[]>;
  /**
   * Pins or unpins a tenant (functions/shared/registry/pins.ts): a fleet rollout leaves a pinned
   * tenant on its template version. Optional so fakes need not have it.
   */
  pinTenant?(tenantId: string, pinned: boolean): Promise<PinOutcome>;
  /**
   * Compares the registry with the simulated account (functions/reconcile): orphans, missing
   * resources, services below their desired count, priority claims that disagree with the listener.
   * Read-only. Optional so fakes need not have it.
   */
  reconcile?(): Promise<Finding[]>;
  /**
   * `reconcile --repair`: the same comparison, then the safe repairs (functions/reconcile/repair.ts):
   * orphans of offboarded tenants are deleted, everything else is reported with the reason.
   */
  repairDrift?(): Promise<RepairedFinding[]>;
  /**
   * `reconcile --detect-drift`: starts CloudFormation drift detection on every idle live tenant
   * stack (up to 100); the results show in a later reconcile. Returns how many checks started.
   */
  detectStackDrift?(): Promise<number>;
  /**
   * Makes an out-of-band change to a tenant's resources in the simulated account, as someone in the
   * console would: deletes its listener rule or its stack, or scales its services to zero outside
   * the stack. Returns what was changed. Optional so fakes need not have it.
   */
  driftTenant?(tenantId: string, change: DriftChange): Promise<string[]>;
  replies(): ReceivedReply[];
  /** Events no rule matched, and deliveries that failed after retries. Optional so fakes need not have it. */
  undelivered?(): UndeliveredEvent[];
  resources(): CloudResources;
  /**
   * What answers a request (host name, headers) on a listener now (see routeAnswerOf). Optional so
   * fakes need not have it.
   */
  routeAnswer?(listenerArn: string, request: { host?: string; headers?: Record<string, string> }): RouteAnswer;
  /** Clears all local state (cloud, registry, executions, replies, dead letters). */
  reset(): Promise<void>;
  /** Persists state and stops the embedded servers. */
  close(): Promise<void>;
  /**
   * Runs the failure sweep now, as its schedule would: the real sweep-failures handler lists the
   * executions that ended badly in its lookback window and replies to those not yet answered (and
   * not superseded). Optional so fakes need not have it.
   */
  sweepFailures?(): Promise<SweepSummary>;
  /** Requests whose workflow could not be started, oldest first. Optional so fakes need not have it. */
  deadLetters?(): DeadLetter[];
  /**
   * Hands each dead-lettered request, unchanged (its id and time), straight to the admission
   * function, as `dead-letters --redrive --aws` does in AWS: not through the bus, whose other
   * rules would get it again. A letter is removed once its workflow started (or the request turned
   * out to be a duplicate, or unanswerable); one whose start fails again stays. Optional so fakes
   * need not have it.
   */
  redriveDeadLetters?(options?: { wait?: boolean }): Promise<RedrivenLetter[]>;
  /**
   * Starts a fleet rollout (statemachines/rollout.asl.json), its execution named after its rollout
   * id; with `wait`, resolves once it ended. Optional so fakes need not have it.
   */
  startRollout?(input: RolloutInput, options?: { wait?: boolean }): Promise<ExecutionSummary>;
  /** A succeeded execution's output, parsed; undefined while it runs or when it failed. */
  executionOutput?(executionArnOrName: string): unknown;
  /**
   * The orchestrator's own events (source `tenant-orchestrator`: `Reconcile Findings`, `Rollout Wave
   * Completed`, `Tenant Data Migration Requested`), oldest first, as an application's rule would
   * receive them; this process's only, not saved in the state folder. Optional so fakes need not have it.
   */
  fleetEvents?(): FleetEvent[];
  /**
   * Sets a CloudWatch alarm's state in the local cloud, declaring the alarm if it is new (the local
   * cloud has no metrics to evaluate). The rollout's health gate reads it with DescribeAlarms.
   */
  setAlarmState?(alarmName: string, state: AlarmState): void;
}

/** A CloudWatch alarm state. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** One of our own events as the bus delivered it (with the event's own `time`). */
export interface FleetEvent extends ReceivedReply {
  readonly time: string;
}

/**
 * Failure injection of the embedded runtime, beyond `injectFault`: the simulated cloud's own
 * failures and the bus's workflow starts. What `openLocalRuntime` returns has these.
 */
export interface FaultControls {
  /** The next creation of a stack whose name matches rolls back, its first resource failing with `reason`. */
  failNextStackCreate(match: string | RegExp, reason: string): void;
  /** The next deletion of a stack whose name matches ends in DELETE_FAILED with `reason`. */
  failNextStackDelete(match: string | RegExp, reason: string): void;
  /**
   * The next update of a stack whose name matches fails on its first changed service (or first
   * change) with `reason` and rolls back to UPDATE_ROLLBACK_COMPLETE; with `rollbackFailureReason`
   * the rollback fails too and the stack stays in UPDATE_ROLLBACK_FAILED.
   */
  failNextStackUpdate(match: string | RegExp, reason: string, options?: { rollbackFailureReason?: string }): void;
  /**
   * The next `times` StartExecution calls (the admission function's) fail (`throttled`:
   * ThrottlingException; `quota`: ExecutionLimitExceeded). Replays are not affected. Cleared by `clearFaults`.
   */
  startExecutionFailures(times: number, kind: StartFailureKind): void;
  /**
   * The next `times` execution status events are not delivered (Step Functions delivers them best
   * effort), so the failure reporter never hears of those failures: the failure sweep must answer
   * them. Cleared by `clearFaults`.
   */
  dropStatusEvents(times: number): void;
  /** Every item of the tenant registry table (tenants, route priorities, stack-operation slots), as stored. */
  registryItems(): Promise<Record<string, unknown>[]>;
}

/** The embedded runtime: the whole {@link LocalRuntime} surface and its fault controls. */
export type EmbeddedRuntime = Required<LocalRuntime> & FaultControls;
