/**
 * Watches executions of the local runtime through its `onEvent` hook: how long each Task state
 * and each Wait state took (wall clock), and which polling loop a Wait belongs to, read from the
 * state machine definitions (the Task a Wait leads to names the loop's function).
 */
import {
  allWorkflows,
  localFunctionArn,
  loadDefinition,
  type HistoryEntry,
  type LocalWorkflow,
  type WorkflowName,
} from '../../local/workflow-runner.ts';
import type { WorkflowFunctionPlaceholder } from '../../functions/lambda-functions.ts';

/** The two polling loops of the workflows. */
export type LoopKind = 'stack' | 'services';

const loopFunctions: Readonly<Record<LoopKind, WorkflowFunctionPlaceholder>> = {
  stack: 'ConvergeStacksFunctionArn',
  services: 'CheckServicesFunctionArn',
};

/** What the definitions say about a state. */
export interface StateInfo {
  readonly type: string;
  /** For a Task: the loop whose function it calls. For a Wait: the loop whose next look it waits for. */
  readonly loop?: LoopKind;
  /**
   * For an Await state (a `.waitForTaskToken` Task of functions/await-change between two looks): the
   * loop whose next look it waits for (its fallback look, or an event, ends it).
   */
  readonly waitsFor?: LoopKind;
}

/** The loop an Await state stands in, from the Task its caught States.Timeout (the fallback look) goes to. */
function awaitedLoop(
  state: { readonly Parameters?: { readonly FunctionName?: unknown }; readonly Catch?: readonly unknown[] },
  states: Readonly<Record<string, { readonly Resource?: unknown }>>,
): LoopKind | undefined {
  if (state.Parameters?.FunctionName !== localFunctionArn('AwaitChangeFunctionArn')) return undefined;
  const fallback = (state.Catch as { ErrorEquals: string[]; Next: string }[] | undefined)?.find((catcher) =>
    catcher.ErrorEquals.includes('States.Timeout'),
  )?.Next;
  return fallback === undefined ? undefined : loopOfResource(states[fallback]?.Resource);
}

/** State name -> what it is, per workflow. */
export type StateCatalog = Readonly<Record<WorkflowName, Readonly<Record<string, StateInfo>>>>;

function loopOfResource(resource: unknown): LoopKind | undefined {
  return (Object.keys(loopFunctions) as LoopKind[]).find((loop) => localFunctionArn(loopFunctions[loop]) === resource);
}

/** Reads both definitions. */
export function stateCatalog(): StateCatalog {
  const catalog = {} as Record<WorkflowName, Record<string, StateInfo>>;
  for (const workflow of ['onboarding', 'offboarding'] as const) {
    const { States } = loadDefinition(workflow);
    catalog[workflow] = Object.fromEntries(
      Object.entries(States).map(([name, state]) => {
        const target = state.Type === 'Wait' ? States[String(state.Next)] : state;
        const loop = state.Type === 'Task' || state.Type === 'Wait' ? loopOfResource(target?.Resource) : undefined;
        const waitsFor = state.Type === 'Task' ? awaitedLoop(state as never, States as never) : undefined;
        return [
          name,
          {
            type: state.Type,
            ...(loop !== undefined ? { loop } : {}),
            ...(waitsFor !== undefined ? { waitsFor } : {}),
          },
        ];
      }),
    );
  }
  return catalog;
}

/** The parts of a state that lead on to another, for walking a definition. */
interface StateLinks {
  readonly Next?: unknown;
  readonly Default?: unknown;
  readonly Choices?: readonly { readonly Next?: unknown }[];
  readonly Catch?: readonly { readonly ErrorEquals?: readonly string[]; readonly Next?: unknown }[];
}

/**
 * States one pass of a loop enters, from its waiting state back to it: the shortest cycle through
 * `waitState` along Next, Default and Choice branches, and a caught States.Timeout (an Await
 * state's fallback look); other Catch paths leave the loop. Billed transitions per extra look, read
 * from the definition rather than copied. Throws when the state is on no cycle.
 */
export function loopPassLength(states: Readonly<Record<string, StateLinks>>, waitState: string): number {
  const successors = (name: string): string[] => {
    const state = states[name];
    if (state === undefined) return [];
    const fallback = (state.Catch ?? [])
      .filter((catcher) => catcher.ErrorEquals?.includes('States.Timeout') === true)
      .map((catcher) => catcher.Next);
    return [state.Next, state.Default, ...(state.Choices ?? []).map((choice) => choice.Next), ...fallback].filter(
      (next): next is string => typeof next === 'string',
    );
  };
  let frontier = successors(waitState);
  const seen = new Set<string>();
  for (let length = 1; frontier.length > 0; length += 1) {
    if (frontier.includes(waitState)) return length;
    for (const name of frontier) seen.add(name);
    frontier = [...new Set(frontier.flatMap(successors))].filter((name) => !seen.has(name) || name === waitState);
  }
  throw new Error(`${waitState} is on no loop of the definition`);
}

/**
 * States one polling pass of a workflow's loop enters, from the definition (the first waiting state,
 * a Wait or an Await, that leads to the loop's function).
 */
export function loopPassTransitions(workflow: WorkflowName, loop: LoopKind, catalog = stateCatalog()): number {
  const waitState = Object.entries(catalog[workflow]).find(
    ([, info]) => (info.type === 'Wait' && info.loop === loop) || info.waitsFor === loop,
  )?.[0];
  if (waitState === undefined)
    throw new Error(`the ${workflow} workflow has no waiting state before its ${loop} loop's function`);
  return loopPassLength(loadDefinition(workflow).States as Record<string, StateLinks>, waitState);
}

/** One execution as the observer saw it. */
export interface ObservedExecution {
  readonly workflow: WorkflowName;
  /** Wall milliseconds of each Task state, from entered to exited (retries included), in order. */
  readonly tasks: { readonly state: string; readonly ms: number }[];
  /** Wall milliseconds spent in Wait states. */
  waitMs: number;
  /** performance.now() when the first state was entered. */
  firstStateAt?: number;
  /** Wait states entered, per loop. */
  readonly waits: Record<LoopKind, number>;
}

/** Called when a Wait or Await state is entered, with the loop and how many waits of it came before. */
export type WaitListener = (loop: LoopKind, earlierWaits: number, executionArn: string) => void;

/** Collects per-execution timings from the runtime's `onEvent`; an optional listener hears each Wait state entered. */
export class ExecutionObserver {
  readonly #catalog: StateCatalog;
  readonly #executions = new Map<string, ObservedExecution>();
  readonly #open = new Map<string, { state: string; since: number }>();
  readonly #onWait: WaitListener | undefined;

  constructor(catalog: StateCatalog, onWait?: WaitListener) {
    this.#catalog = catalog;
    this.#onWait = onWait;
  }

  /** The runtime's `onEvent` option. */
  readonly onEvent = (execution: { executionArn: string; workflow: LocalWorkflow }, entry: HistoryEntry): void => {
    // The benchmarks measure the request workflows; a fleet rollout is not one of them.
    const workflow = allWorkflows.find((candidate) => candidate === execution.workflow);
    if (workflow === undefined) return;
    const now = performance.now();
    const observed = this.#execution(execution.executionArn, workflow);
    observed.firstStateAt ??= now;
    const info = entry.state === undefined ? undefined : this.#catalog[workflow][entry.state];
    if (info === undefined || (info.type !== 'Task' && info.type !== 'Wait')) return;
    const key = `${execution.executionArn}#${entry.state}`;
    if (entry.type === 'StateEntered') {
      this.#open.set(key, { state: entry.state!, since: now });
      const waitsFor = info.waitsFor ?? (info.type === 'Wait' ? info.loop : undefined);
      if (waitsFor !== undefined) {
        this.#onWait?.(waitsFor, observed.waits[waitsFor], execution.executionArn);
        observed.waits[waitsFor] += 1;
      }
      return;
    }
    if (entry.type !== 'StateExited' && entry.type !== 'StateFailed') return;
    const open = this.#open.get(key);
    if (open === undefined) return;
    this.#open.delete(key);
    // An Await state's wall time is its wait, not its function's run (which is not timed apart here).
    if (info.type === 'Task' && info.waitsFor === undefined)
      observed.tasks.push({ state: open.state, ms: now - open.since });
    else observed.waitMs += now - open.since;
  };

  /** What was seen of an execution (an empty record for one not seen). */
  execution(executionArn: string, workflow: WorkflowName = 'onboarding'): ObservedExecution {
    return this.#execution(executionArn, workflow);
  }

  forget(executionArn: string): void {
    this.#executions.delete(executionArn);
  }

  #execution(executionArn: string, workflow: WorkflowName): ObservedExecution {
    let observed = this.#executions.get(executionArn);
    if (observed === undefined) {
      observed = { workflow, tasks: [], waitMs: 0, waits: { stack: 0, services: 0 } };
      this.#executions.set(executionArn, observed);
    }
    return observed;
  }
}
