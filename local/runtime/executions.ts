/**
 * The local runtime's executions: what Step Functions would keep for each (status, input,
 * history), answering the handlers' DescribeExecution and GetExecutionHistory calls.
 */
import {
  ExecutionDoesNotExist,
  type DescribeExecutionCommandInput,
  type DescribeExecutionCommandOutput,
  type GetExecutionHistoryCommandInput,
  type GetExecutionHistoryCommandOutput,
  type HistoryEvent,
  type HistoryEventType,
} from '@aws-sdk/client-sfn';
import type { HistoryEntry, WorkflowName } from '../workflow-runner.ts';
import { localStateMachineArn } from '../workflow-runner.ts';
import type { ExecutionStatus, ExecutionSummary } from './api.ts';

/** Everything kept of one execution (persisted as JSON). */
export interface ExecutionRecord {
  executionArn: string;
  name: string;
  workflow: WorkflowName;
  status: ExecutionStatus;
  startedAt: string;
  stoppedAt?: string;
  tenantId?: string;
  registrationId?: string;
  failedState?: string;
  error?: string;
  cause?: string;
  replayOf?: string;
  /** Times the execution was redriven (`$$.Execution.RedriveCount`). */
  redriveCount?: number;
  /** The input of the state the execution stopped at (JSON), which a redrive restarts it with. */
  failedStateInput?: string;
  transitions: number;
  /** The execution input as a JSON string, as Step Functions keeps it. */
  input: string;
  output?: string;
  history: HistoryEntry[];
}

/** The public view of a record. */
export function summaryOf(record: ExecutionRecord): ExecutionSummary {
  const { input: _input, output: _output, history: _history, failedStateInput: _failedStateInput, ...summary } = record;
  return { ...summary };
}

/** State name -> state type, to name history events as Step Functions does (`TaskStateEntered`). */
export type StateTypes = Readonly<Record<WorkflowName, Readonly<Record<string, string>>>>;

/** Executions by ARN, in start order. */
export class ExecutionStore {
  readonly #records = new Map<string, ExecutionRecord>();
  readonly #stateTypes: StateTypes;

  constructor(stateTypes: StateTypes) {
    this.#stateTypes = stateTypes;
  }

  add(record: ExecutionRecord): void {
    this.#records.set(record.executionArn, record);
  }

  all(): ExecutionRecord[] {
    return [...this.#records.values()];
  }

  /** By ARN or by name (names are unique within the runtime). */
  find(executionArnOrName: string): ExecutionRecord | undefined {
    return this.#records.get(executionArnOrName) ?? this.all().find((record) => record.name === executionArnOrName);
  }

  hasName(name: string): boolean {
    return this.all().some((record) => record.name === name);
  }

  /** The execution of `workflow` with this name (names are unique per state machine in Step Functions). */
  findByName(workflow: WorkflowName, name: string): ExecutionRecord | undefined {
    return this.all().find((record) => record.workflow === workflow && record.name === name);
  }

  clear(): void {
    this.#records.clear();
  }

  toJSON(): ExecutionRecord[] {
    return structuredClone(this.all());
  }

  /** Loads saved records; one saved while running cannot resume in this process, so it counts as aborted. */
  load(records: readonly ExecutionRecord[]): void {
    this.#records.clear();
    for (const record of records) {
      const copy = structuredClone(record);
      if (copy.status === 'RUNNING') {
        Object.assign(copy, { status: 'ABORTED', stoppedAt: new Date().toISOString(), error: 'ExecutionAborted', cause: 'The local runtime stopped while the execution ran' });
      }
      this.add(copy);
    }
  }

  /** Step Functions DescribeExecution. */
  describeExecution(input: DescribeExecutionCommandInput): DescribeExecutionCommandOutput {
    const record = this.#require(input.executionArn);
    return {
      executionArn: record.executionArn,
      stateMachineArn: localStateMachineArn(record.workflow),
      name: record.name,
      status: record.status,
      startDate: new Date(record.startedAt),
      ...(record.stoppedAt !== undefined ? { stopDate: new Date(record.stoppedAt) } : {}),
      input: record.input,
      inputDetails: { included: true },
      ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
      ...(record.error !== undefined ? { error: record.error } : {}),
      ...(record.cause !== undefined ? { cause: record.cause } : {}),
      redriveCount: record.redriveCount ?? 0,
      $metadata: {},
    };
  }

  /** Step Functions GetExecutionHistory: events as the API names them, paged with an offset token. */
  getExecutionHistory(input: GetExecutionHistoryCommandInput): GetExecutionHistoryCommandOutput {
    const record = this.#require(input.executionArn);
    const events = this.#historyEvents(record);
    if (input.reverseOrder) events.reverse();
    const start = input.nextToken === undefined ? 0 : Number(input.nextToken);
    const size = Math.min(Math.max(input.maxResults || 100, 1), 1000);
    const page = events.slice(start, start + size);
    const next = start + size < events.length ? String(start + size) : undefined;
    return { events: page, ...(next !== undefined ? { nextToken: next } : {}), $metadata: {} };
  }

  #require(executionArn: string | undefined): ExecutionRecord {
    const record = executionArn === undefined ? undefined : this.#records.get(executionArn);
    if (!record) {
      throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${executionArn ?? ''}'`, $metadata: { httpStatusCode: 400 } });
    }
    return record;
  }

  #historyEvents(record: ExecutionRecord): HistoryEvent[] {
    const types = this.#stateTypes[record.workflow];
    const events: HistoryEvent[] = [
      { id: 1, type: 'ExecutionStarted', timestamp: new Date(record.startedAt), executionStartedEventDetails: { input: record.input } },
    ];
    for (const entry of record.history) {
      const base = { id: events.length + 1, previousEventId: events.length, timestamp: new Date(entry.at) };
      const stateType = entry.state === undefined ? undefined : (types[entry.state] ?? 'Task');
      switch (entry.type) {
        case 'StateEntered':
          events.push({ ...base, type: `${stateType}StateEntered` as HistoryEventType, stateEnteredEventDetails: { name: entry.state } });
          break;
        case 'StateExited':
          events.push({ ...base, type: `${stateType}StateExited` as HistoryEventType, stateExitedEventDetails: { name: entry.state } });
          break;
        case 'StateFailed':
          events.push({ ...base, type: 'TaskFailed', taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: entry.error, cause: entry.cause } });
          break;
        case 'ExecutionSucceeded':
          events.push({ ...base, type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: record.output } });
          break;
        case 'ExecutionFailed':
          events.push({ ...base, type: 'ExecutionFailed', executionFailedEventDetails: { error: entry.error, cause: entry.cause } });
          break;
        case 'StateRetried':
          // Step Functions shows a retry as the task being scheduled again; nothing the handlers read.
          break;
      }
    }
    return events;
  }
}
