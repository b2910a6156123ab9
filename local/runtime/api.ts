/**
 * The local runtime's public surface: what the CLI, the workflow tests and the benchmarks use.
 * Implemented by `openLocalRuntime` in ./runtime.ts.
 */
import type { TenantRecord } from '../../functions/shared/registry.ts';
import type { HistoryEntry, WorkflowName } from '../workflow-runner.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionSummary {
  readonly executionArn: string;
  readonly name: string;
  readonly workflow: WorkflowName;
  readonly status: ExecutionStatus;
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

/** What the simulated cloud holds right now. */
export interface CloudResources {
  readonly stacks: readonly { stackName: string; status: string; tags: Record<string, string> }[];
  readonly rules: readonly { ruleArn: string; listenerArn: string; priority: string; tenantId?: string; conditions: string }[];
  readonly services: readonly { cluster: string; serviceName: string; desiredCount: number; runningCount: number }[];
}

/** Outcome of putting one event on the local bus. */
export interface SendResult {
  /** The workflow the event's pattern matched, if any (a reply-type or unknown event matches none). */
  readonly workflow?: WorkflowName;
  /** The execution it started; its final state when `wait` was true. */
  readonly execution?: ExecutionSummary;
  /** Replies that arrived while this call ran (for a waited send: the reply to this request). */
  readonly replies: readonly ReceivedReply[];
}

/**
 * A failure to rehearse: `{ step: 'CreateTenantStacks' }` fails that state's task once per attempt
 * (`times`, default: every attempt of this command); `{ service: 'CloudFormation', operation: 'CreateStack' }`
 * makes that SDK call fail inside the real client.
 */
export type InjectedFault =
  | { readonly step: string; readonly times?: number }
  | { readonly service: string; readonly operation: string; readonly times?: number };

export interface LocalRuntimeOptions {
  /** Folder holding the local cloud's state (default `.tenant-orchestrator` in the working directory). */
  readonly stateDirectory?: string;
  /** Simulated durations (ms): stack create/delete, service start. Defaults give a lively demo (~1-2 s). */
  readonly timings?: { readonly createMs?: number; readonly deleteMs?: number; readonly startMs?: number; readonly waitMs?: number };
  /** Called for every state-level event of every execution (progress display). */
  readonly onEvent?: (execution: { executionArn: string; workflow: WorkflowName }, entry: HistoryEntry) => void;
}

export interface LocalRuntime {
  /** The folder the state is kept in (absolute). Optional so fakes need not have it. */
  readonly stateDirectory?: string;
  /** Puts an event on the bus as the control plane would; starts the matching workflow. */
  send(event: unknown, options?: { wait?: boolean }): Promise<SendResult>;
  /** Runs a failed execution's input again as a new execution (completed side effects are not repeated). */
  replay(executionArn: string, options?: { wait?: boolean }): Promise<ExecutionSummary>;
  /** Waits until every running execution has ended. */
  drain(): Promise<void>;
  injectFault(fault: InjectedFault): void;
  clearFaults(): void;
  executions(): ExecutionSummary[];
  execution(executionArnOrName: string): ExecutionSummary | undefined;
  history(executionArnOrName: string): HistoryEntry[];
  tenants(): Promise<TenantRecord[]>;
  replies(): ReceivedReply[];
  /** Events no rule matched, and deliveries that failed after retries. Optional so fakes need not have it. */
  undelivered?(): UndeliveredEvent[];
  resources(): CloudResources;
  /** Clears all local state (cloud, registry, executions, replies). */
  reset(): Promise<void>;
  /** Persists state and stops the embedded servers. */
  close(): Promise<void>;
}
