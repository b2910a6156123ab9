/**
 * Starts executions for the local runtime: a unique name and ARN, the record kept up to date as
 * states run, and, when an execution fails, its status change event on the local bus (which the
 * failure reporter answers; unless a `dropStatusEvents` fault drops it, as Step Functions' best-effort
 * delivery may) and then the `afterFailure` hook (the runtime's failure sweep), before the execution
 * counts as done.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { localExecutionArn, localStateMachineArn, runWorkflow, type HistoryEntry, type WorkflowName } from '../workflow-runner.ts';
import type { LocalRuntimeOptions } from './api.ts';
import { envelope, type Publication } from './bus.ts';
import type { ExecutionRecord, ExecutionStore } from './executions.ts';
import type { FaultPlan } from './faults.ts';

export interface LauncherDependencies {
  readonly executions: ExecutionStore;
  /** Carries the execution ARN into handlers, their SDK calls and the reporter. */
  readonly current: AsyncLocalStorage<{ executionArn: string }>;
  /** Wait states and Retry intervals last this long. */
  readonly waitMs: number;
  readonly faults: FaultPlan;
  readonly onEvent?: LocalRuntimeOptions['onEvent'];
  /** Puts an event on the local bus. */
  readonly publish: (event: unknown) => Publication;
  /** Runs once a failed execution's status event was delivered (or dropped); the runtime sweeps failures here. */
  readonly afterFailure?: (record: ExecutionRecord) => Promise<void>;
}

export class WorkflowLauncher {
  readonly #deps: LauncherDependencies;
  readonly #running = new Map<string, Promise<void>>();

  constructor(deps: LauncherDependencies) {
    this.#deps = deps;
  }

  /**
   * StartExecution as an EventBridge rule target calls it: fails with Step Functions' error while
   * an injected start failure is due (the bus retries it), else {@link start}.
   */
  startFromBus(workflow: WorkflowName, input: unknown): ExecutionRecord {
    this.#deps.faults.checkStart();
    return this.start(workflow, input);
  }

  /** Starts `workflow` with `input` and returns its record at once (status RUNNING). */
  start(workflow: WorkflowName, input: unknown, replayOf?: string): ExecutionRecord {
    const { executions, current } = this.#deps;
    const detail = detailOf(input);
    const tenantId = typeof detail.tenantId === 'string' ? detail.tenantId : undefined;
    const registrationId = typeof detail.tenantRegistrationId === 'string' ? detail.tenantRegistrationId : undefined;
    const name = executionName(workflow, tenantId, (candidate) => executions.hasName(candidate));
    const record: ExecutionRecord = {
      executionArn: localExecutionArn(workflow, name),
      name,
      workflow,
      status: 'RUNNING',
      startedAt: new Date().toISOString(),
      ...(tenantId !== undefined ? { tenantId } : {}),
      ...(registrationId !== undefined ? { registrationId } : {}),
      ...(replayOf !== undefined ? { replayOf } : {}),
      transitions: 0,
      input: JSON.stringify(input),
      history: [],
    };
    executions.add(record);
    this.#launch(record, input);
    return record;
  }

  /**
   * Redrives a failed execution as Step Functions does: the same record (ARN, history) runs again
   * from the state it failed at, with that state's input and `RedriveCount` one higher.
   *
   * @throws Error when the execution did not fail, or has no failed state (and input) to resume at.
   */
  redrive(record: ExecutionRecord): void {
    if (record.status === 'RUNNING' || record.status === 'SUCCEEDED') {
      throw new Error(`Only a failed execution can be redriven; ${record.name} is ${record.status}`);
    }
    const { failedState, failedStateInput } = record;
    if (failedState === undefined || failedStateInput === undefined) {
      throw new Error(`${record.name} has no failed state to resume at (no state ran, or the runtime stopped while it ran); replay it instead`);
    }
    const redriveCount = (record.redriveCount ?? 0) + 1;
    for (const field of ['stoppedAt', 'error', 'cause', 'failedState', 'failedStateInput', 'output'] as const) delete record[field];
    Object.assign(record, { status: 'RUNNING', redriveCount, redrivenAt: new Date().toISOString() });
    this.#launch(record, JSON.parse(failedStateInput) as unknown, { startAt: failedState, redriveCount });
  }

  /** Resolves when the execution has ended and its failure (if any) has been reported. */
  async done(executionArn: string): Promise<void> {
    await this.#running.get(executionArn);
  }

  pending(): Promise<void>[] {
    return [...this.#running.values()];
  }

  #launch(record: ExecutionRecord, input: unknown, redrive?: { startAt: string; redriveCount: number }): void {
    const done = this.#deps.current.run({ executionArn: record.executionArn }, () => this.#run(record, input, redrive));
    this.#running.set(record.executionArn, done);
    const forget = () => this.#running.delete(record.executionArn);
    void done.then(forget, forget);
  }

  async #run(record: ExecutionRecord, input: unknown, redrive?: { startAt: string; redriveCount: number }): Promise<void> {
    const { faults, waitMs, onEvent } = this.#deps;
    const execution = { executionArn: record.executionArn, workflow: record.workflow };
    // A redrive continues the count (Step Functions bills and shows the transitions of every run).
    const earlierTransitions = record.transitions;
    let enteredInput: unknown;
    try {
      const result = await runWorkflow(record.workflow, input, {
        ...(redrive ?? {}),
        onStateEntered: (_stateName, stateInput) => {
          enteredInput = stateInput;
        },
        executionName: record.name,
        waitMilliseconds: waitMs,
        retryIntervalMilliseconds: waitMs,
        beforeTask: (stateName) => faults.checkStep(stateName),
        aroundTask: (stateName, invoke) => faults.runTask(stateName, invoke),
        onEvent: (entry: HistoryEntry) => {
          record.history.push(entry);
          if (entry.type === 'StateEntered') record.transitions += 1;
          onEvent?.(execution, entry);
        },
      });
      Object.assign(record, {
        status: result.status,
        transitions: earlierTransitions + result.transitions,
        ...(result.status === 'FAILED' && enteredInput !== undefined ? { failedStateInput: JSON.stringify(enteredInput) } : {}),
        ...(result.output !== undefined ? { output: JSON.stringify(result.output) } : {}),
        ...(result.error !== undefined ? { error: result.error } : {}),
        ...(result.cause !== undefined ? { cause: result.cause } : {}),
        ...(result.failedState !== undefined ? { failedState: result.failedState } : {}),
      });
    } catch (error) {
      // The runner itself broke (not a state failing): Step Functions would call it a runtime error.
      Object.assign(record, { status: 'FAILED', error: 'States.Runtime', cause: error instanceof Error ? error.message : String(error) });
    }
    record.stoppedAt = new Date().toISOString();
    if (record.status === 'FAILED') {
      // Step Functions delivers status events best effort: a due fault drops this one.
      // https://docs.aws.amazon.com/eventbridge/latest/ref/event-delivery-level.html
      if (!faults.dropsStatusEvent()) {
        const publication = this.#deps.publish(statusChangeEvent(record));
        await Promise.all(publication.deliveries.map((delivery) => delivery.settled));
      }
      await this.#deps.afterFailure?.(record);
    }
  }
}

/** The event Step Functions puts on the default bus when an execution's status changes. */
export function statusChangeEvent(record: ExecutionRecord): unknown {
  return envelope({
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: localStateMachineArn(record.workflow),
      name: record.name,
      status: record.status,
      startDate: Date.parse(record.startedAt),
      stopDate: Date.parse(record.stoppedAt ?? record.startedAt),
      input: record.input,
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: record.error ?? null,
      cause: record.cause ?? null,
      // The attempt: a redriven execution emits its events again under the same ARN (aws-facts.md:
      // AWS's own event model for .NET, aws/aws-lambda-dotnet PR #2544, lists these fields).
      redriveCount: record.redriveCount ?? 0,
      redriveDate: record.redrivenAt === undefined ? null : Date.parse(record.redrivenAt),
    },
  });
}

function detailOf(input: unknown): Record<string, unknown> {
  const detail = typeof input === 'object' && input !== null ? (input as { detail?: unknown }).detail : undefined;
  return typeof detail === 'object' && detail !== null ? (detail as Record<string, unknown>) : {};
}

/** A unique, readable execution name: `onboarding-2f1c9d3e-a41b09`. */
export function executionName(workflow: WorkflowName, tenantId: string | undefined, taken: (name: string) => boolean): string {
  const tenant = (tenantId ?? '').replace(/[^A-Za-z0-9-]/g, '').slice(0, 8) || 'request';
  for (;;) {
    const name = `${workflow}-${tenant}-${randomBytes(3).toString('hex')}`;
    if (!taken(name)) return name;
  }
}
